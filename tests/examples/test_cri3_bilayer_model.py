"""The committed bilayer-CrI3 Wannier model (examples/data/cri3_bilayer), recomputed at a modest k-mesh.

``examples/cri3_bilayer_fig2.sh`` ends with two check runs on a 48x48 mesh and keeps their JSON under
examples/results/cri3_bilayer; this test repeats them on the committed files (the commands below are the script's) and
checks what the paper's picture rests on: chi_y is forbidden by C2y (forbidden fraction at most 1e-2), chi_x is finite
and what the results file says at this mesh, and the Mott identity holds on the grid.

alpha/T at low T: on a uniform grid alpha at a few kelvin needs k_B T above the spacing of the levels the grid puts
near mu, which this 112-band model reaches only on large grids (240x240 resolves 20 K to 5%). So the test recomputes
alpha at 30-60 K on 120x120, where the grid resolves it (the committed 240x240 run agrees to 2%), and checks the
Sommerfeld form alpha/T = c1 + c3 T^2: the fit's residual, c1 against the Sommerfeld value (pi^2 k_B^2 / 3e) dchi_x/dmu
of the committed 240x240 alpha(T) run (0.95 of it), and how much alpha/T changes below 20 K, |c3| (20 K)^2 / |c1|
(3%).
"""

import json
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_orbmag import plots
from aiida_orbmag.cli.main import cli

ROOT = pathlib.Path(__file__).parents[2]
DATA = ROOT / "examples" / "data" / "cri3_bilayer"
RESULTS = ROOT / "examples" / "results" / "cri3_bilayer"
pytestmark = pytest.mark.slow  # two 48x48 runs and one 120x120 of a 112-band model: about four minutes on 2 cores
MODEL = json.loads((DATA / "model.json").read_text())
DOPED = MODEL["doped_mu_minus_fermi_eV"]
KMESH = 48


def check_command(json_file, metric_form: str) -> list[str]:
    """One check run of the figure script (keep the two the same)."""
    analytic = metric_form == "analytic"
    temperatures = (0, 10) if analytic else (60, 90, 120)
    symmetry = ["--symmetry", str(DATA / "symmetry_operations.json")] if analytic else []
    return ["compute", str(DATA / "aiida_tb.dat.gz"), "--fermi-energy", str(MODEL["fermi_energy_eV"]),
            "--mu-range", f"{DOPED - 0.1:.6f}", f"{DOPED + 0.1:.6f}", "2001",
            *[arg for t in temperatures for arg in ("--temperature", str(t))],
            "--kmesh", str(KMESH), str(KMESH), *symmetry, "--degeneracy-tol", str(MODEL["degeneracy_tol_eV"]),
            "--metric-form", metric_form,
            "--processes", "2", "--no-progress", "--json", str(json_file)]  # fmt: skip


def _run(tmp_path_factory, metric_form: str) -> tuple[dict, dict]:
    """(recomputed, committed) JSON documents of one check run."""
    path = tmp_path_factory.mktemp("cri3") / "check.json"
    result = CliRunner().invoke(cli, check_command(path, metric_form), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    committed = json.loads((RESULTS / f"check_{metric_form}.json").read_text())
    return json.loads(path.read_text()), committed


@pytest.fixture(scope="module")
def analytic(tmp_path_factory):
    return _run(tmp_path_factory, "analytic")


@pytest.fixture(scope="module")
def fermi_surface(tmp_path_factory):
    return _run(tmp_path_factory, "fermi_surface")


def test_chi_y_is_forbidden(analytic, fermi_surface):
    """The symmetry check of the analytic run (forbidden part against its uncancelled scale), and chi_y against
    chi_x in the Fermi-surface run."""
    symmetry = analytic[0]["checks"]["symmetry"]
    assert symmetry["known"] and symmetry["intrinsic_allowed"] == {"x": True, "y": False}
    assert symmetry["intrinsic_forbidden_fraction"] <= 1e-2
    chi = np.abs(np.asarray(fermi_surface[0]["chi_nm_per_ohm"]))
    assert chi[..., 1].max() <= 1e-2 * chi[..., 0].max()


@pytest.mark.parametrize("form", ["analytic", "fermi_surface"])
def test_chi_x_is_finite_and_what_the_results_file_says(request, form):
    recomputed, committed = request.getfixturevalue(form)
    assert recomputed["checks"]["conventions"]["metric_form"] == form
    assert recomputed["checks"]["kmesh"] == committed["checks"]["kmesh"] == [KMESH, KMESH]
    chi = np.asarray(recomputed["chi_nm_per_ohm"])
    assert np.isfinite(chi).all() and np.abs(chi[..., 0]).max() > 0
    scale = np.abs(chi).max()
    np.testing.assert_allclose(chi, committed["chi_nm_per_ohm"], rtol=1e-6, atol=1e-6 * scale)
    alpha = np.asarray(committed["alpha_nA_nm_per_K"])
    np.testing.assert_allclose(recomputed["alpha_nA_nm_per_K"], alpha, rtol=1e-6, atol=1e-6 * np.abs(alpha).max())


def test_mott_identity_on_the_grid(analytic):
    recomputed, _ = analytic
    mott = recomputed["checks"]["mott_identity"]
    assert mott["evaluated"] and mott["eta_step_over_kT"] < 0.5
    assert mott["relative_residual"] < 1e-2


SOMMERFELD_TEMPERATURES = (30, 40, 50, 60)
SOMMERFELD_KMESH = 120


@pytest.fixture(scope="module")
def warm_alpha(tmp_path_factory):
    """alpha at the doped point at 30-60 K on 120x120 (Fermi-surface form, with the k-mesh error)."""
    path = tmp_path_factory.mktemp("cri3") / "alpha.json"
    command = ["compute", str(DATA / "aiida_tb.dat.gz"), "--fermi-energy", str(MODEL["fermi_energy_eV"]),
               "--mu", f"{DOPED:.6f}", *[arg for t in SOMMERFELD_TEMPERATURES for arg in ("--temperature", str(t))],
               "--kmesh", str(SOMMERFELD_KMESH), str(SOMMERFELD_KMESH), "--kmesh-error",
               "--degeneracy-tol", str(MODEL["degeneracy_tol_eV"]), "--metric-form", "fermi_surface",
               "--processes", "2", "--no-progress", "--json", str(path)]  # fmt: skip
    result = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def test_alpha_over_t_is_sommerfeld_at_low_temperature(warm_alpha):
    temperatures = np.asarray(warm_alpha["temperature_K"], dtype=float)
    alpha = np.asarray(warm_alpha["alpha_nA_nm_per_K"])[:, 0, 0]
    error = np.asarray(warm_alpha["kmesh_error"]["alpha_nA_nm_per_K"])[:, 0, 0]
    # the estimate (shifted 60x60 sub-grids) is pessimistic: 9, 5, 2.5 and 1% here; the 240x240 run agrees to 0.4%
    assert np.all(error <= 0.1 * np.abs(alpha)), error / np.abs(alpha)
    committed = json.loads((RESULTS / "alpha_T.json").read_text())
    at = int(np.argmin(np.abs(np.asarray(committed["mu_eV"]) - DOPED)))
    fine = [committed["alpha_nA_nm_per_K"][committed["temperature_K"].index(float(t))][at][0] for t in temperatures]
    np.testing.assert_allclose(alpha, fine, rtol=0.02)
    ratios = alpha / temperatures
    c3, c1 = np.polyfit(temperatures**2, ratios, 1)
    assert np.max(np.abs(c1 + c3 * temperatures**2 - ratios)) <= 0.02 * abs(c1)
    # the Sommerfeld value from the committed 240x240 run: chi_x at 10 K fitted over +-5 meV of the doped point
    sommerfeld = plots.sommerfeld_slope(committed, DOPED, "x", temperature=10.0, half_width=0.005)
    assert c1 == pytest.approx(sommerfeld, rel=0.1)
    assert abs(c3) * 20.0**2 <= 0.05 * abs(c1)  # alpha/T constant to 5% below 20 K
