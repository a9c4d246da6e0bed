"""``examples/cri3_bilayer_fig2.sh``, the command that makes the paper's Fig. 2, run whole on a small model.

The model is the four-band CrI3-like reference bilayer (PT and C2y kept, like the real bilayer), laid out as
``export_model.py`` lays out the real one: gzip ``_tb.dat``, ``model.json`` with the Fermi energy and the doped point,
the magnetic group's in-plane operations. The test checks that every file is written, that the PNGs are real images
of sane size, and that the numbers in the JSON are the ones the group and the Mott relation demand.
"""

import gzip
import json
import math
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).parents[2]
SCRIPT = ROOT / "examples" / "cri3_bilayer_fig2.sh"
REFERENCE = ROOT / "examples" / "cri3_like_bilayer_tb.dat"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FERMI = -0.15  # mid-gap of the reference model (its gap is -0.42 .. 0.12 eV)
DOPED = 0.35  # mu - E_F: 0.2 eV into the upper band


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    out = tmp_path_factory.mktemp("results")
    with open(REFERENCE, "rb") as source, gzip.open(data / "aiida_tb.dat.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    shutil.copy(ROOT / "examples" / "data" / "cri3_bilayer" / "symmetry_operations.json", data)
    edges = {"valence_top_eV": -0.27, "conduction_bottom_eV": 0.27, "gap_eV": 0.54}  # -0.42 and 0.12 eV, from E_F
    model = {"fermi_energy_eV": FERMI, "doped_mu_minus_fermi_eV": DOPED, "band_edges_wannier_60x60": edges}
    (data / "model.json").write_text(json.dumps(model))
    completed = subprocess.run(
        ["bash", str(SCRIPT), "16", "1", str(data), str(out), "12", "8", "16"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return data, out


@pytest.mark.parametrize("name", ["fig2a_chi.png", "fig2b_alpha.png", "fig2b_alpha_T.png", "fig2cd_lambda.png"])
def test_each_panel_is_a_png_of_sane_size(figures, name):
    _, figures = figures
    content = (figures / name).read_bytes()
    assert content.startswith(PNG_MAGIC)
    assert 10_000 < len(content) < 2_000_000


def test_chi_json_is_relative_to_the_fermi_energy_and_keeps_the_forbidden_component_zero(figures):
    _, figures = figures
    document = json.loads((figures / "chi_alpha_10K.json").read_text())
    assert document["metadata"]["fermi_energy_eV"] == FERMI
    assert document["mu_eV"][0] == pytest.approx(-1.0) and document["mu_eV"][-1] == pytest.approx(1.5)
    chi = np.asarray(document["chi_nm_per_ohm"])
    assert chi.shape == (1, 501, 2)  # 10 K
    assert np.max(np.abs(chi[..., 0])) > 1e-8  # chi_x lives
    assert np.max(np.abs(chi[..., 1])) <= 1e-10 * np.max(np.abs(chi[..., 0])) + 1e-30  # chi_y forbidden by C2y


def test_alpha_of_t_json_holds_every_temperature_around_the_doped_point(figures):
    _, figures = figures
    document = json.loads((figures / "alpha_T.json").read_text())
    assert document["temperature_K"] == [5, 10, 15, 20, 30, 40, 50, 60]
    assert "kmesh_error" in document  # the error bars of the figure
    assert document["checks"]["conventions"]["metric_form"] == "fermi_surface"
    mu = np.asarray(document["mu_eV"])
    assert mu[0] == pytest.approx(DOPED - 0.005) and mu[-1] == pytest.approx(DOPED + 0.005) and len(mu) == 11


def test_lambda_map_json_is_on_the_asked_grid(figures):
    _, figures = figures
    document = json.loads((figures / "lambda_map.json").read_text())
    assert np.asarray(document["lambda_e_per_hbar_angstrom3"]).shape[:2] == (12, 12)
    assert document["mu_eV"] == pytest.approx(DOPED) and document["fermi_energy_eV"] == FERMI


def test_summary_reads_the_figures_and_finds_the_reference_symmetry(figures):
    data, out = figures
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "cri3_bilayer_summary.py"), str(data), str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    chi, alpha, lam = summary["chi"], summary["alpha"], summary["lambda"]
    assert chi["forbidden_fraction"] < 1e-10 and chi["max_chi_y_over_max_chi_x"] < 1e-10
    # the reference model is an insulator in its gap with chi_x = 8.4535e-8 nm/Ohm (examples/write_reference_model.py)
    assert chi["chi_x_at_mid_gap_nm_per_ohm"] == pytest.approx(8.4535e-8, rel=1e-3)
    assert lam["odd_part_of_lambda_x_relative"] < 1e-10 and lam["even_part_of_lambda_y_relative"] < 1e-10
    assert abs(lam["sum_lambda_y_over_sum_abs"]) < 1e-10 < abs(lam["sum_lambda_x_over_sum_abs"])
    assert alpha["mu_minus_fermi_eV"] == pytest.approx(DOPED) and len(alpha["alpha_x_over_T_nA_nm_per_K2"]) == 8
    assert math.isfinite(alpha["sommerfeld_alpha_x_over_T_nA_nm_per_K2"]) and "resolved_temperatures_K" in alpha
    assert len(alpha["alpha_x_over_T_kmesh_error_nA_nm_per_K2"]) == 8
    checks = summary["checks"]
    assert checks["kmesh"] == [8, 8] and checks["mott_eta_step_over_kT"] < 0.2
    assert checks["mott_identity_relative_residual"] < 1e-2  # an identity on any grid
    assert checks["alpha_x_over_T_temperatures_K"] == [60, 90, 120]
