"""Symmetry analysis of the allowed chi components (the table of the theory notes, and the bilayer group)."""

import numpy as np
import pytest

from aiida_orbmag.physics import symmetry as sym
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from aiida_orbmag.physics.response import compute_susceptibility, lambda_map

PT = sym.INVERSION * sym.TIME_REVERSAL
MYT = sym.MIRROR_Y * sym.TIME_REVERSAL


@pytest.mark.parametrize(
    ("operations", "intrinsic", "extrinsic"),
    [
        ([sym.C2Z], (False, False), (False, False)),
        ([sym.C3Z], (False, False), (False, False)),
        ([sym.C4Z], (False, False), (False, False)),
        ([sym.C6Z], (False, False), (False, False)),
        ([sym.INVERSION], (False, False), (False, False)),
        ([sym.MIRROR_X], (True, False), (True, False)),
        ([sym.C2Y], (True, False), (True, False)),
        ([sym.C2X], (False, True), (False, True)),
        ([sym.MIRROR_Y], (False, True), (False, True)),
        ([sym.TIME_REVERSAL], (False, False), (True, True)),
        ([PT], (True, True), (False, False)),
        ([sym.C2Z * sym.TIME_REVERSAL], (True, True), (False, False)),
        ([sym.IDENTITY, sym.C2Y, PT, MYT], (True, False), (False, False)),  # AFM bilayer CrI3
        ([], (True, True), (True, True)),
    ],
)
def test_table_of_allowed_components(operations, intrinsic, extrinsic):
    allowed = sym.allowed_response(operations)
    assert allowed.allowed("intrinsic") == intrinsic
    assert allowed.allowed("extrinsic") == extrinsic


def test_forbidden_part_and_tilted_subspace():
    """A mirror along a diagonal allows only chi along that diagonal; forbidden_part projects it out."""
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    # reflection across the line at 45 degrees: the line is invariant, its normal flips
    mirror = sym.PointOperation(np.array([[c * c - s * s, 2 * s * c], [2 * s * c, s * s - c * c]]), False, "Md")
    allowed = sym.allowed_response([mirror])
    # chi = det(R) R chi = -R chi: the normal of the mirror line survives, (1, -1)/sqrt 2
    assert allowed.intrinsic.shape == (1, 2)
    assert np.allclose(np.abs(allowed.intrinsic[0]), [c, s])
    assert np.allclose(allowed.forbidden_part([1.0, -1.0]), 0, atol=1e-12)
    assert np.allclose(allowed.forbidden_part([1.0, 1.0]), [1.0, 1.0])
    with pytest.raises(ValueError, match="part must be"):
        allowed.forbidden_part([1.0, 0.0], part="both")


def test_hexagonal_c3_from_fractional_coordinates():
    lattice = np.array([[3.0, 0.0, 0.0], [-1.5, 1.5 * np.sqrt(3), 0.0], [0.0, 0.0, 20.0]])
    c3_fractional = np.array([[0, -1, 0], [1, -1, 0], [0, 0, 1]])  # a1 -> a2, a2 -> -a1 - a2
    tilted = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]])  # mixes a3 with the plane: dropped
    operations = sym.operations_from_spglib([c3_fractional, tilted], [False, False], lattice)
    assert len(operations) == 1
    assert np.allclose(operations[0].rotation, sym.C3Z.rotation)


def test_bilayer_reference_model_respects_its_group():
    """chi of the reference bilayer lies in the allowed subspace of {E, C2y, PT, M_yT}, at every mu and T."""
    allowed = sym.allowed_response([sym.IDENTITY, sym.C2Y, PT, MYT])
    result = compute_susceptibility(cri3_like_bilayer(), [0.0, 0.3], [0.0, 300.0], (24, 24))
    for chi in result.chi.reshape(-1, 2):
        assert np.abs(allowed.forbidden_part(chi)).max() < 1e-15
    assert np.abs(result.chi[..., 0]).min() > 1e-4
    # the same vector violates a group that forbids chi_x
    assert np.abs(sym.allowed_response([sym.MIRROR_Y]).forbidden_part(result.chi[0, 0])).max() > 1e-4


def test_not_orthogonal_is_refused():
    with pytest.raises(ValueError, match="orthogonal"):
        sym.PointOperation(np.array([[1.0, 0.5], [0.0, 1.0]]))


def test_uncancelled_scale_bounds_chi_and_sees_cancellation():
    """|chi_i| <= S_i (triangle inequality), with equality nowhere near for a component symmetry cancels."""
    model = cri3_like_bilayer()
    chi = compute_susceptibility(model, [0.0], [0.0], (24, 24)).chi[0, 0]
    lam = lambda_map(model, 0.0, 0.0, kmesh=(24, 24))
    scale = sym.uncancelled_scale(lam.values, 24 * 24, model.cell_area)
    assert np.all(np.abs(chi) <= scale * (1 + 1e-12))
    assert abs(chi[0]) / scale[0] == pytest.approx(0.347, abs=0.01)  # chi_x allowed: partial cancellation
    assert abs(chi[1]) / scale[1] < 1e-14  # chi_y forbidden by C2y: the contributions cancel to round-off
    with pytest.raises(ValueError, match="N_k = 10"):
        sym.uncancelled_scale(lam.values, 10, model.cell_area)
    with pytest.raises(ValueError, match="cell area"):
        sym.uncancelled_scale(lam.values, 24 * 24, 0.0)


def test_forbidden_part_of_a_stack_is_that_of_each_vector():
    allowed = sym.allowed_response([sym.PointOperation([[0.0, 1.0], [1.0, 0.0]])])  # mirror on the diagonal
    stack = np.random.default_rng(3).normal(size=(4, 5, 2))
    expected = np.array([allowed.forbidden_part(vector) for vector in stack.reshape(-1, 2)]).reshape(stack.shape)
    np.testing.assert_allclose(allowed.forbidden_part(stack), expected, rtol=0, atol=1e-15)
