"""The progress callback of compute_susceptibility, and worker processes giving the serial results to round-off."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import random_model
from aiida_orbmag.physics.response import compute_susceptibility

MODEL = random_model(6, seed=8)
OPTIONS = {"mu": np.linspace(-2.0, 2.0, 40), "temperature": [30.0, 300.0], "kmesh": (12, 10)}


@pytest.mark.parametrize("interpolation", ["direct", "fft"])
def test_progress_is_monotone_and_reaches_the_total(interpolation):
    calls = []
    compute_susceptibility(
        MODEL,
        **OPTIONS,
        execution=Execution(interpolation=interpolation, memory_bytes=2**20),
        progress=lambda *c: calls.append(c),
    )
    done = [call[0] for call in calls]
    assert len(calls) > 2  # several chunks
    assert all(call[1] == 120 for call in calls)
    assert np.all(np.diff(done) > 0) and done[-1] == 120


@pytest.mark.parametrize("interpolation", ["direct", "fft"])
def test_two_processes_equal_the_serial_run(interpolation):
    options = {**OPTIONS, "conventions": Conventions(metric_form="fermi_surface"), "relaxation_time_fs": 10.0}
    serial = compute_susceptibility(
        MODEL, **options, kmesh_error=True, execution=Execution(interpolation=interpolation)
    )
    calls = []
    parallel = compute_susceptibility(
        MODEL,
        **options,
        kmesh_error=True,
        execution=Execution(interpolation=interpolation, processes=2),
        progress=lambda *c: calls.append(c),
    )
    for name in ("chi", "alpha", "chi_extrinsic", "alpha_extrinsic", "chi_kmesh_error", "alpha_kmesh_error"):
        a, b = getattr(serial, name), getattr(parallel, name)
        assert np.abs(a - b).max() <= 1e-12 * np.abs(a).max(), name
    for key, value in serial.diagnostics.items():  # other FFT sub-grids: round-off in the energies
        assert parallel.diagnostics[key] == pytest.approx(value, rel=1e-12, abs=1e-14), key
    done = [call[0] for call in calls]
    assert len(calls) > 1 and np.all(np.diff(done) > 0) and done[-1] == 120


def test_bad_processes_and_progress():
    with pytest.raises(ValueError, match="processes must be a positive integer"):
        Execution(processes=0)
    with pytest.raises(ValueError, match="progress must be a callable"):
        compute_susceptibility(MODEL, [0.0], [0.0], (2, 2), progress=5)
