"""The model's own symmetry: |E(k) - E(gk)| per operation and the Wannier-centre mapping, with negative controls."""

import numpy as np
import pytest

from aiida_orbmag.physics import symmetry as sym
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.model_symmetry import band_symmetry_deviation, centre_symmetry_mismatch, image_kpoints
from aiida_orbmag.physics.reference_models import cri3_like_bilayer

PT = sym.INVERSION * sym.TIME_REVERSAL
MYT = sym.MIRROR_Y * sym.TIME_REVERSAL
KPOINTS = np.column_stack([np.random.default_rng(3).random((40, 2)), np.zeros(40)])


def test_image_kpoints_of_rotations_and_time_reversal():
    model = cri3_like_bilayer()  # rectangular a = b = 1 Å: fractional = Cartesian / 2 pi
    k = np.array([[0.1, 0.3, 0.0]])
    np.testing.assert_allclose(image_kpoints(model, k, sym.C2Y), [[-0.1, 0.3, 0.0]])
    np.testing.assert_allclose(image_kpoints(model, k, sym.TIME_REVERSAL), [[-0.1, -0.3, 0.0]])
    np.testing.assert_allclose(image_kpoints(model, k, PT), k)
    np.testing.assert_allclose(image_kpoints(model, k, MYT), [[-0.1, 0.3, 0.0]])


def test_group_of_the_bilayer_reference_model_is_kept_to_round_off():
    deviations = band_symmetry_deviation(cri3_like_bilayer(), [sym.IDENTITY, sym.C2Y, PT, MYT], KPOINTS)
    assert max(deviations) < 1e-12


@pytest.mark.parametrize("operation", [sym.C2X, sym.INVERSION, sym.TIME_REVERSAL, sym.C2Z])
def test_operations_outside_the_group_are_seen(operation):
    """Negative control: operations the model does not have give deviations of the size of its couplings."""
    assert band_symmetry_deviation(cri3_like_bilayer(), [operation], KPOINTS)[0] > 1e-2


def test_window_restricts_the_comparison():
    model = cri3_like_bilayer()
    everything = band_symmetry_deviation(model, [sym.C2X], KPOINTS)[0]
    empty = band_symmetry_deviation(model, [sym.C2X], KPOINTS, window=(50.0, 60.0))[0]
    assert everything > 1e-2 and empty == 0.0


def test_centre_mapping():
    """Two sites related by inversion through the origin: inversion maps them onto each other (modulo lattice
    vectors); a mirror that is not a symmetry of the pair moves a centre by a measured distance."""
    lattice = np.diag([3.0, 4.0, 20.0])
    centres = np.array([[0.3, 0.5, -1.0], [-0.3, -0.5, 1.0], [2.7 - 3.0, 3.5, 1.0]])  # the last: site 2 + a2
    identity, inversion = np.eye(3), -np.eye(3)
    mirror_x = np.diag([-1.0, 1.0, 1.0])
    zero = np.zeros(3)
    mismatch = centre_symmetry_mismatch(centres, lattice, [identity, inversion, mirror_x], [zero, zero, zero])
    assert mismatch[0] == pytest.approx(0.0, abs=1e-12)
    assert mismatch[1] == pytest.approx(0.0, abs=1e-12)
    # M_x sends (0.3, 0.5, -1) to (-0.3, 0.5, -1), whose nearest centre is (0.3, 0.5, -1) itself, 0.6 Å away; the
    # other two centres' images are 0.6 Å from their own sites as well
    assert mismatch[2] == pytest.approx(0.6, abs=1e-12)


def test_degeneracy_warning_gives_the_advice_that_fits(caplog):
    """Raising the tolerance is advised only when PT pairs are split by more than it; when the pairs are clusters
    already, the warning is about the remaining close crossings and the k-mesh."""
    import logging

    from aiida_orbmag.physics.response import compute_susceptibility

    with caplog.at_level(logging.WARNING, logger="aiida_orbmag.physics.response"):
        compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (6, 6), conventions=Conventions(degeneracy_tol=0.5))
    assert "Distinct band clusters come as close" in caplog.text and "raise the tolerance" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="aiida_orbmag.physics.response"):
        compute_susceptibility(
            cri3_like_bilayer(zeeman=0.05), [0.0], [0.0], (6, 6), conventions=Conventions(degeneracy_tol=0.05)
        )
    assert "raise the tolerance above the largest pair splitting" in caplog.text
