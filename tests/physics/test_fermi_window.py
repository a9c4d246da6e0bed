"""alpha on a fine grid summed only near the Fermi surface (physics.fermi_window) against the whole fine grid."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS
from aiida_orbmag.physics.fermi_window import fermi_window_alpha, window_points
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from aiida_orbmag.physics.response import compute_susceptibility

MODEL = cri3_like_bilayer()  # PT pairs, metallic at these mu
MU = np.linspace(0.25, 0.35, 5)


@pytest.mark.parametrize("metric_form", ["analytic", "fermi_surface"])
def test_the_window_gives_the_whole_fine_grid_alpha_from_part_of_it(metric_form):
    """12x12 refined 4 times against the whole 48x48 grid: alpha and its k-mesh error estimate agree to round-off
    while about a third of the points is summed (the cells far from every mu are left out)."""
    conventions = DEFAULT_CONVENTIONS.replace(metric_form=metric_form)
    temperatures = [5.0, 20.0]
    whole = compute_susceptibility(MODEL, MU, temperatures, (48, 48), conventions=conventions, kmesh_error=True)
    window = fermi_window_alpha(MODEL, MU, temperatures, (12, 12), 4, conventions=conventions, kmesh_error=True)
    assert window.kmesh == (48, 48) and 0.1 < window.fraction_summed < 0.6
    scale = np.abs(whole.alpha).max()
    assert scale > 0
    np.testing.assert_allclose(window.alpha, whole.alpha, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(window.alpha_kmesh_error, whole.alpha_kmesh_error, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(window.alpha_na_nm_per_k, whole.alpha_na_nm_per_k, rtol=0, atol=1e-11 * scale * 1e3)
    shared = fermi_window_alpha(MODEL, MU, temperatures, (12, 12), 4, conventions=conventions,
                                execution=Execution(processes=2))  # fmt: skip
    np.testing.assert_allclose(shared.alpha, window.alpha, rtol=0, atol=1e-12 * scale)


def test_a_narrower_window_leaves_out_more_and_a_gap_nothing():
    """Colder means fewer points; mu in a window that reaches no level sums none and gives zero."""
    cold = window_points(MODEL, (12, 12), 2, (0.29, 0.31))
    warm = window_points(MODEL, (12, 12), 2, (0.1, 0.5))
    assert set(cold) < set(warm) and len(np.unique(warm)) == len(warm)
    assert window_points(MODEL, (12, 12), 2, (50.0, 51.0)).size == 0
    empty = fermi_window_alpha(MODEL, [50.0], [10.0], (8, 8), 2, kmesh_error=True)
    assert empty.points_summed == 0 and not empty.alpha.any() and empty.metadata()["fraction_summed"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": [0.0]}, "give T > 0 K"),
        ({"refine": 0}, "refine must be a positive integer"),
        ({"refine": True}, "refine must be a positive integer"),
        ({"window_kt": 5.0}, "window_kt must be at least 20"),
        ({"coarse_kmesh": (0, 4)}, "k-mesh must be two positive integers"),
    ],
)
def test_bad_inputs_are_refused_with_what_to_give(kwargs, message):
    arguments = {"mu": [0.3], "temperature": [10.0], "coarse_kmesh": (8, 8), "refine": 2, **kwargs}
    model_arguments = {key: arguments.pop(key) for key in ("mu", "temperature", "coarse_kmesh", "refine")}
    with pytest.raises(ValueError, match=message):
        fermi_window_alpha(MODEL, **model_arguments, **arguments)
