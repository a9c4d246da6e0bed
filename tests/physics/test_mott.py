"""Mott relation (sign-corrected Xiao et al. Eq. 12) and the low-temperature behaviour of alpha."""

import numpy as np
import pytest

from aiida_orbmag.physics.mott import mott_alpha, sommerfeld_alpha_over_t
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility
from aiida_orbmag.physics.units import KB_EV_PER_K

METAL = cri3_like_bilayer(zeeman=0.1)  # non-degenerate bands, metallic at these mu
MU = np.array([0.3, 0.5])


@pytest.mark.parametrize("temperature", [100.0, 300.0])
def test_mott_identity_on_one_grid(temperature):
    """alpha(mu, T) from Eq. 9 equals int (-f0')(eta - mu)/(eT) chi_{T=0}(eta) d eta to 1e-5 relative."""
    kt = KB_EV_PER_K * temperature
    eta = np.arange(MU.min() - 35 * kt, MU.max() + 35 * kt, kt / 20000)
    kmesh = (48, 48)
    chi_zero = compute_susceptibility(METAL, eta, [0.0], kmesh).chi[0]
    direct = compute_susceptibility(METAL, MU, [temperature], kmesh).alpha[0]
    predicted = mott_alpha(eta, chi_zero, MU, temperature)
    assert np.allclose(predicted[:, 0], direct[:, 0], rtol=1e-5, atol=0)
    assert np.abs(direct[:, 0]).min() > 1e-5
    # the print's sign (+df0/d eta) would give exactly -alpha: a sign slip cannot pass
    assert not np.allclose(-predicted[:, 0], direct[:, 0], rtol=0.5)


def test_mott_relation_for_the_extrinsic_part():
    """The extrinsic chi and alpha obey the same Mott relation; chi_ext needs T > 0, so a grid 10x colder than the
    target temperature stands in for T = 0 (its own smearing is a correction of order (T_cold/T)²)."""
    model = random_model(8, seed=3)  # no symmetry: the extrinsic response is non-zero
    mu, temperature, cold = np.array([-0.2, 0.4]), 600.0, 60.0
    kt = KB_EV_PER_K * temperature
    eta = np.arange(mu.min() - 32 * kt, mu.max() + 32 * kt, kt / 20)
    kmesh = (48, 48)
    chi_cold = compute_susceptibility(model, eta, [cold], kmesh, relaxation_time_fs=10.0).chi_extrinsic[0]
    direct = compute_susceptibility(model, mu, [temperature], kmesh, relaxation_time_fs=10.0).alpha_extrinsic[0]
    predicted = mott_alpha(eta, chi_cold, mu, temperature)
    assert np.allclose(predicted, direct, rtol=0.02)
    assert np.abs(direct).min() > 1e-2


def test_alpha_over_t_is_constant_at_low_temperature():
    """In a metal alpha/T tends to (pi² k_B²/3e) dchi/dmu: equal at 20 K and 40 K within 2 %, and within 1 % of the
    Sommerfeld value from a finite-difference dchi/dmu."""
    temperatures = np.array([20.0, 40.0])
    step = 2e-3
    mus = np.concatenate([MU, MU - step, MU + step])
    result = compute_susceptibility(METAL, mus, temperatures, (400, 400))
    ratio = result.alpha[:, :2, 0] / temperatures[:, None]
    assert np.allclose(ratio[0], ratio[1], rtol=0.02)
    dchi = (result.chi[:, 4:, 0] - result.chi[:, 2:4, 0]) / (2 * step)
    assert np.allclose(ratio, sommerfeld_alpha_over_t(dchi), rtol=0.01)
    # an insulator has no carriers at the Fermi level: alpha/T vanishes (exponentially) at low T
    insulator = compute_susceptibility(cri3_like_bilayer(), [0.0], temperatures, (48, 48))
    assert np.abs(insulator.alpha[..., 0] / temperatures[:, None]).max() < 1e-10 * np.abs(ratio).max()


def test_mott_alpha_rejects_a_grid_that_misses_the_window():
    with pytest.raises(ValueError, match="must cover every mu"):
        mott_alpha(np.linspace(0, 0.1, 100), np.zeros(100), [0.05], 300.0)
    with pytest.raises(ValueError, match="uniformly spaced"):
        mott_alpha(np.array([0.0, 0.1, 0.3]), np.zeros(3), [0.1], 1.0)
