"""The k-mesh error estimate |X(kmesh) - X(coarse sub-grid)| against the actual error."""

import json

import numpy as np
import pytest

from aiida_orbmag.physics.reference_models import CRI3_LIKE_CHI_HALF_FILLING, cri3_like_bilayer
from aiida_orbmag.physics.response import compute_susceptibility

METAL = cri3_like_bilayer(zeeman=0.1)  # non-degenerate bands, metallic at these mu
MU = [0.3, 0.5]


def test_estimate_bounds_the_error_of_a_metal_at_room_temperature():
    """At 300 K the grid sum converges exponentially once k_B T is resolved; judged against a grid twice as fine,
    the estimate (the spread of shifted kmesh/2 grids) bounds the actual error. At 16 x 16 the nested kmesh/2 grid
    alone happens to agree with the full one better than the error of either (it would underestimate chi_x at
    mu = 0.3 by a factor of 1.4): the shifted grids catch it, and the estimate is within a factor 2-5 of the error.
    On finer grids the error falls faster than the estimate (exponential convergence): a bound, not a tight one."""
    reference = compute_susceptibility(METAL, MU, [300.0], (96, 96))
    for n in (16, 24, 48):
        result = compute_susceptibility(METAL, MU, [300.0], (n, n), kmesh_error=True)
        assert result.coarse_kmesh == (n // 2, n // 2)
        nested = compute_susceptibility(METAL, MU, [300.0], (n // 2, n // 2))
        for name in ("chi", "alpha"):
            value = getattr(result, name)
            error = np.abs(value - getattr(reference, name))[..., 0]
            estimate = getattr(result, f"{name}_kmesh_error")
            assert np.all(estimate[..., 0] >= error), (name, n)
            # the unshifted coarse grid is one of the grids compared
            assert np.all(estimate >= np.abs(value - getattr(nested, name)) * (1 - 1e-9))
            if n == 16:  # while k_B T is barely resolved the error falls slowly: the estimate tracks it
                assert np.all(estimate[..., 0] < 10 * error), (name, n)


def test_estimate_bounds_the_error_of_the_insulating_reference_model():
    """At half filling the bilayer is an insulator with a known chi_x; the estimate bounds the error (here by far:
    exponential convergence makes the coarse grid's error much larger)."""
    for n in (12, 16):
        result = compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (n, n), kmesh_error=True)
        error = abs(result.chi[0, 0, 0] - CRI3_LIKE_CHI_HALF_FILLING[0])
        assert result.chi_kmesh_error[0, 0, 0] >= error
        assert result.alpha_kmesh_error[0, 0, 0] == 0.0  # alpha = 0 at T = 0 on both grids


def test_estimate_of_the_extrinsic_part_and_metadata():
    result = compute_susceptibility(METAL, MU, [300.0], (9, 6), relaxation_time_fs=10.0, kmesh_error=True)
    assert result.coarse_kmesh == (3, 3)  # smallest prime factors 3 and 2
    coarse = compute_susceptibility(METAL, MU, [300.0], (3, 3), relaxation_time_fs=10.0)
    for name in ("chi_extrinsic", "alpha_extrinsic", "alpha"):  # the unshifted coarse grid is one of those compared
        nested = np.abs(getattr(result, name) - getattr(coarse, name))
        assert np.all(getattr(result, f"{name}_kmesh_error") >= nested * (1 - 1e-9)), name
    meta = json.loads(json.dumps(result.metadata()))
    assert meta["kmesh_error"]["coarse_kmesh"] == [3, 3]
    assert meta["kmesh_error"]["max_chi_error_nm_per_ohm"] == pytest.approx(result.chi_kmesh_error_nm_per_ohm.max())
    assert "kmesh_error" not in compute_susceptibility(METAL, MU, [300.0], (4, 4)).metadata()


def test_estimate_needs_a_mesh_to_thin_out():
    with pytest.raises(ValueError, match="more than one point"):
        compute_susceptibility(METAL, MU, [300.0], (1, 1), kmesh_error=True)
