"""The figures of ``aiida_orbmag.plots`` from a small real result (the CrI3-like reference bilayer on a coarse mesh)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from aiida_orbmag import plots

MODEL = "examples/cri3_like_bilayer_tb.dat"


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    """The JSON of `aiida-orbmag compute` for 4 temperatures and 61 mu on a 24x24 mesh, with the k-mesh error."""
    path = tmp_path_factory.mktemp("plots") / "results.json"
    command = [sys.executable, "-m", "aiida_orbmag.cli.main", "compute", MODEL, "--mu-range", "-0.6", "0.6", "61"]
    for temperature in (0, 10, 30, 60):
        command += ["--temperature", str(temperature)]
    subprocess.run([*command, "--kmesh", "24", "24", "--kmesh-error", "--json", str(path)], check=True, cwd=_root())
    return path


def _root():
    return pathlib.Path(__file__).parents[2]


@pytest.mark.parametrize(
    "draw",
    [
        lambda data: plots.plot_chi(data, 10.0),
        lambda data: plots.plot_alpha(data),
        lambda data: plots.plot_alpha_temperature(data, 0.25),
    ],
    ids=["chi", "alpha", "alpha-t"],
)
def test_each_figure_is_a_png_of_sane_size(results_file, tmp_path, draw):
    output = plots.save(draw(plots.results_from_json(results_file)), tmp_path / "figure.png")
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < output.stat().st_size < 1_000_000


def test_sommerfeld_slope_is_pi2_kb2_over_3e_times_dchi_dmu_in_si(tmp_path):
    from scipy import constants

    slope_chi = 2.0e-4  # nm/Ohm per eV: chi = slope_chi * mu
    mu = np.linspace(-0.1, 0.1, 5)
    chi = np.zeros((1, 5, 2))
    chi[0, :, 0] = slope_chi * mu
    path = tmp_path / "linear.json"
    data = {"mu_eV": mu.tolist(), "temperature_K": [0.0], "chi_nm_per_ohm": chi.tolist()}
    path.write_text(json.dumps({**data, "alpha_nA_nm_per_K": chi.tolist()}))
    # SI: alpha/T = (pi^2 k_B^2 / 3e) dchi/dmu with e = -|e|; dchi/dmu in (m/Ohm)/J, alpha in A m/K -> nA nm/K
    dchi_dmu_si = slope_chi * 1e-9 / constants.e
    expected = -(np.pi**2) * constants.k**2 / (3 * constants.e) * dchi_dmu_si * 1e18
    assert plots.sommerfeld_slope(plots.results_from_json(path), 0.0) == pytest.approx(expected, rel=1e-10)


def test_sommerfeld_slope_fitted_at_a_temperature_over_a_window(tmp_path):
    """A straight-line fit over +- half_width at T > 0 gives the slope of a line with a staircase on it (the grid's
    discrete levels), which the central difference does not; a window with too few mu is refused."""
    mu = np.linspace(-0.02, 0.02, 41)
    chi = np.zeros((2, 41, 2))
    chi[1, :, 0] = 2.0e-4 * np.round(mu / 0.003) * 0.003  # a staircase of 3 meV steps along the line
    path = tmp_path / "stairs.json"
    path.write_text(json.dumps({"mu_eV": mu.tolist(), "temperature_K": [0.0, 10.0], "chi_nm_per_ohm": chi.tolist(),
                                "alpha_nA_nm_per_K": chi.tolist()}))  # fmt: skip
    data = plots.results_from_json(path)
    linear = tmp_path / "linear.json"
    clean = np.zeros((1, 41, 2))
    clean[0, :, 0] = 2.0e-4 * mu
    linear.write_text(json.dumps({"mu_eV": mu.tolist(), "temperature_K": [0.0], "chi_nm_per_ohm": clean.tolist(),
                                  "alpha_nA_nm_per_K": clean.tolist()}))  # fmt: skip
    expected = plots.sommerfeld_slope(plots.results_from_json(linear), 0.0)
    fitted = plots.sommerfeld_slope(data, 0.0, temperature=10.0, half_width=0.01)
    assert fitted == pytest.approx(expected, rel=0.05)
    assert plots.sommerfeld_slope(data, 0.0, temperature=10.0) == 0.0  # on a step: the staircase wins
    with pytest.raises(ValueError, match="Fewer than 3 mu"):
        plots.sommerfeld_slope(data, 0.0, temperature=10.0, half_width=1e-4)


def test_alpha_t_has_kmesh_error_bars_and_a_sommerfeld_line_from_a_warm_chi(results_file):
    data = plots.results_from_json(results_file)
    ax = plots.plot_alpha_temperature(data, 0.25, slope_from=(10.0, 0.05))
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "computed (k-mesh error)" in labels and any("at 10 K" in label for label in labels)
    assert ax.containers  # the error bars


def test_lambda_maps_are_drawn_on_the_cartesian_zone(tmp_path):
    fractional = (np.arange(8) - 4) / 8
    values = np.random.default_rng(0).normal(size=(8, 8, 2))
    figure = plots.plot_lambda_maps(fractional, values, np.array([[1.0, 0.0], [-0.5, 0.866]]), "at mu = 0 eV")
    output = plots.save(figure, tmp_path / "lambda.png")
    assert output.stat().st_size > 10_000


def test_lambda_colour_scale_clipped_at_a_percentile_says_so():
    """With spikes, the 99th percentile of |Lambda| ends the scale (in units of a power of ten) and the colour bar
    says it is clipped; at 100 the largest value ends it, unmarked; outside (0, 100] is refused."""
    fractional = (np.arange(20) - 10) / 20
    values = np.random.default_rng(1).uniform(-1e4, 1e4, size=(20, 20, 2))
    values[3, 4] = 5e6  # one spike in each component
    reciprocal = np.array([[1.0, 0.0], [-0.5, 0.866]])
    clipped = plots.plot_lambda_maps(fractional, values, reciprocal, "", clip_percentile=99.0)
    limit = np.percentile(np.abs(values[..., 0]), 99.0)
    mesh = clipped.axes[0].collections[0]
    assert mesh.norm.vmax == pytest.approx(limit / 1e3) and mesh.norm.vmin == pytest.approx(-limit / 1e3)
    assert "clipped at the 99th percentile" in clipped.axes[2].get_ylabel() and "10^{3}" in clipped.axes[2].get_ylabel()
    full = plots.plot_lambda_maps(fractional, values, reciprocal, "")
    assert full.axes[0].collections[0].norm.vmax == pytest.approx(5.0) and "clipped" not in full.axes[2].get_ylabel()
    with pytest.raises(ValueError, match="clip_percentile"):
        plots.plot_lambda_maps(fractional, values, reciprocal, "", clip_percentile=0.0)


def test_a_file_that_is_not_a_result_is_refused_with_what_to_give(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mu_eV": [0.0]}))
    with pytest.raises(ValueError, match="aiida-orbmag compute --json"):
        plots.results_from_json(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="Cannot read the results file"):
        plots.results_from_json(bad)
    with pytest.raises(ValueError, match="No results at T = 5"):
        plots.plot_chi(plots.results_from_json(_good(tmp_path)), 5.0)


def _good(tmp_path):
    path = tmp_path / "good.json"
    zeros = np.zeros((1, 3, 2)).tolist()
    path.write_text(
        json.dumps({"mu_eV": [0, 1, 2], "temperature_K": [0.0], "chi_nm_per_ohm": zeros, "alpha_nA_nm_per_K": zeros})
    )
    return path
