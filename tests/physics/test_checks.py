"""The checks of a result without AiiDA (physics.checks): what the calcfunction's summary and the CLI report."""

import numpy as np
import pytest

from aiida_orbmag.physics import checks
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from aiida_orbmag.physics.response import compute_susceptibility
from aiida_orbmag.physics.symmetry import C2X, C2Y

MODEL = cri3_like_bilayer()


@pytest.fixture(scope="module")
def result():
    return compute_susceptibility(MODEL, np.linspace(-1.5, 1.5, 301), [0.0, 300.0], (12, 12), relaxation_time_fs=None)


def test_summary_of_a_symmetric_model(result):
    summary = checks.summary(result, MODEL, [C2Y])
    largest = summary["largest_chi"]
    magnitude = np.linalg.norm(result.chi_nm_per_ohm, axis=-1)
    assert largest["magnitude_nm_per_ohm"] == pytest.approx(magnitude.max(), rel=1e-12)
    assert summary["mott_identity"]["evaluated"] is True
    assert summary["mott_identity"]["relative_residual"] < 0.05
    report = summary["symmetry"]
    assert report["intrinsic_allowed"] == {"x": True, "y": False}
    assert report["intrinsic_forbidden_fraction"] < 1e-12 and report["intrinsic_forbidden_is_small"] is True
    assert report["intrinsic_uncancelled_scale_nm_per_ohm"][1] > 0
    assert summary["conventions"] == result.settings and summary["kmesh"] == [12, 12]


def test_a_symmetry_the_model_lacks_is_flagged(result):
    """Negative control: C2x forbids chi_x, which the model has; against max |chi| (no model) as well."""
    for model in (MODEL, None):
        report = checks.symmetry_report(
            result, [C2X], None if model is None else checks.uncancelled_scale_function(model, result)
        )
        assert 0.01 < report["intrinsic_forbidden_fraction"] <= 1.0
        assert report["intrinsic_forbidden_is_small"] is False
    assert checks.symmetry_report(result, None) == {"known": False}


def test_mott_residual_says_why_it_was_not_evaluated():
    warm = compute_susceptibility(MODEL, [0.0, 0.1, 0.2], [300.0], (4, 4))
    assert checks.mott_residual(warm) == {"evaluated": False, "reason": "no T = 0 among the temperatures"}
    uneven = compute_susceptibility(MODEL, [0.0, 0.1, 0.3], [0.0, 300.0], (4, 4))
    assert "not an increasing uniform grid" in checks.mott_residual(uneven)["reason"]
    narrow = compute_susceptibility(MODEL, [0.0, 0.1, 0.2], [0.0, 300.0], (4, 4))
    assert "k_B T inside the mu grid" in checks.mott_residual(narrow)["reason"]


def test_uncancelled_scale_of_a_fine_run_is_taken_on_a_cut_grid(monkeypatch):
    """A run on 120x120 takes the scale on 96x96 (one process: a whole-grid map would cost more than the run); the
    magnitude it gives is that of the whole grid to a few percent."""
    fine = compute_susceptibility(MODEL, [0.3], [10.0], (120, 120), relaxation_time_fs=None)
    assert checks.scale_kmesh((120, 120)) == (96, 96) and checks.scale_kmesh((48, 36)) == (48, 36)
    cut = checks.uncancelled_scale_function(MODEL, fine)(0.3, 10.0)
    monkeypatch.setattr(checks, "SCALE_MAX_SIDE", 1000)
    whole = checks.uncancelled_scale_function(MODEL, fine)(0.3, 10.0)
    np.testing.assert_allclose(cut, whole, rtol=0.05)
