"""The reference model mimicking AFM bilayer CrI3: the value of chi, its zeros and its sign."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.reference_models import CRI3_LIKE_CHI_HALF_FILLING, cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility

MU_IN_GAP = 0.0  # eV; the half-filling gap of the reference model spans -0.42 .. 0.12 eV
KMESH = (24, 24)


def _chi(model, **options):
    return compute_susceptibility(model, [MU_IN_GAP], [0.0], KMESH, **options).chi[0, 0]


def test_chi_at_half_filling():
    """chi = (3.47286342e-3, 0) (e²/hbar) Å, an independently computed value, to 1e-8 relative."""
    chi = _chi(cri3_like_bilayer())
    assert chi[0] == pytest.approx(CRI3_LIKE_CHI_HALF_FILLING[0], rel=1e-8)
    assert abs(chi[1]) < 1e-15


def test_chi_is_a_property_of_the_gap():
    """Anywhere in the gap, and at any low temperature, the insulator's chi is the same."""
    result = compute_susceptibility(cri3_like_bilayer(), [-0.3, -0.15, 0.0], [0.0, 30.0], KMESH)
    assert np.allclose(result.chi[..., 0], CRI3_LIKE_CHI_HALF_FILLING[0], rtol=1e-8)
    assert np.allclose(result.alpha, 0.0, atol=1e-12)


def test_interlayer_soc_is_needed():
    """lambda_I = 0 (and lambda = lambda_I = 0) gives chi = 0 exactly."""
    assert np.allclose(_chi(cri3_like_bilayer(soc_interlayer=0.0)), 0.0, atol=1e-15)
    assert np.allclose(_chi(cri3_like_bilayer(soc_interlayer=0.0, soc=0.0)), 0.0, atol=1e-15)


def test_reversing_the_exchange_flips_chi():
    """J -> -J (time reversal of the magnetic order) flips the sign of chi."""
    plus, minus = _chi(cri3_like_bilayer()), _chi(cri3_like_bilayer(exchange=-1.2))
    assert minus[0] == pytest.approx(-plus[0], rel=1e-10)


def test_c2y_forbids_chi_y_also_in_the_metal():
    """C2y survives the magnetic order: chi_y vanishes at every mu and T, metal included, while chi_x does not."""
    result = compute_susceptibility(cri3_like_bilayer(), [-1.0, 0.3, 0.6], [0.0, 300.0], KMESH)
    assert np.abs(result.chi[..., 1]).max() < 1e-15
    assert np.abs(result.alpha[..., 1]).max() < 1e-15
    assert np.abs(result.chi[..., 0]).min() > 1e-4


def test_restoring_c2z_kills_chi():
    """A random metal made C2z symmetric (all orbitals at the origin, t(R) = t(-R), r(R) = -r(-R) in-plane) has
    chi = 0 and alpha = 0 at every mu and T, although time reversal is broken; without the symmetrisation not."""
    base = random_model(6, seed=11, orbitals_per_site=6)
    minus = np.array([base.r_index[tuple(-r)] for r in base.r_vectors])
    position = base.position.copy()
    position[..., :2] = 0.5 * (base.position[..., :2] - base.position[minus][..., :2])
    position[..., 2] = 0.5 * (base.position[..., 2] + base.position[minus][..., 2])
    symmetric = base.replace(
        hamiltonian=0.5 * (base.hamiltonian + base.hamiltonian[minus]), position=position, centres=np.zeros((6, 3))
    )
    settings = {"mu": [-0.5, 0.0, 0.5], "temperature": [0.0, 300.0], "kmesh": KMESH}
    assert np.abs(compute_susceptibility(symmetric, **settings).chi).max() < 1e-13  # round-off of ~1e-3 terms
    assert np.abs(compute_susceptibility(base, **settings).chi).max() > 1e-3


def test_degenerate_pairs_and_their_splitting_diagnostic():
    """The PT model is degenerate to round-off; breaking PT with a Zeeman term is reported."""
    pt = compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], KMESH)
    split = compute_susceptibility(cri3_like_bilayer(zeeman=0.05), [0.0], [0.0], KMESH)
    assert pt.diagnostics["largest_splitting_of_band_pairs_eV"] < 1e-12
    assert split.diagnostics["largest_splitting_of_band_pairs_eV"] > 0.05


def test_cluster_treatment_of_nearly_degenerate_pairs():
    """PT pairs split by a tiny Zeeman term (2e-6 eV): clustered (tolerance above the splitting) they give the PT
    result; treated as separate bands the insulator is unchanged but the metal is not -- the delta -> 0 limit of
    the non-degenerate formula is not the degenerate answer in a metal, so clusters are required."""
    settings = {"mu": [0.0, 0.3, 0.6], "temperature": [0.0], "kmesh": KMESH}
    exact = compute_susceptibility(cri3_like_bilayer(), **settings).chi[0, :, 0]
    for tol in (1e-8, 1e-3):  # exactly degenerate pairs: any tolerance above round-off gives the same
        result = compute_susceptibility(cri3_like_bilayer(), **settings, conventions=Conventions(degeneracy_tol=tol))
        assert np.allclose(result.chi[0, :, 0], exact, rtol=1e-12)
    nearly = cri3_like_bilayer(zeeman=1e-6)
    clustered = compute_susceptibility(nearly, **settings, conventions=Conventions(degeneracy_tol=1e-2))
    separate = compute_susceptibility(nearly, **settings, conventions=Conventions(degeneracy_tol=1e-8))
    assert clustered.diagnostics["largest_splitting_of_band_pairs_eV"] == pytest.approx(2e-6, rel=1e-3)
    assert np.allclose(clustered.chi[0, :, 0], exact, rtol=1e-5)
    assert separate.chi[0, 0, 0] == pytest.approx(exact[0], rel=1e-5)  # insulator: unique
    assert np.all(np.abs(separate.chi[0, 1:, 0] - exact[1:]) > 1e-3 * np.abs(exact[1:]))  # metal: not


def test_chi_after_a_round_trip_through_a_written_tb_dat(tmp_path):
    """The same model written as seedname_tb.dat and read back gives the same chi (full position matrix)."""
    from aiida_orbmag.io.wannier90 import read_tb_dat, write_tb_dat

    write_tb_dat(cri3_like_bilayer(), tmp_path / "bilayer_tb.dat")
    chi = _chi(read_tb_dat(tmp_path / "bilayer_tb.dat"))
    assert chi[0] == pytest.approx(CRI3_LIKE_CHI_HALF_FILLING[0], rel=1e-8)
