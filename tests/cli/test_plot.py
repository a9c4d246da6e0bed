"""`aiida-orbmag plot` and `compute --fermi-energy`: PNGs of sane size from a small real result, one error line on bad
input."""

import json
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli

ROOT = pathlib.Path(__file__).parents[2]
REFERENCE = ROOT / "examples" / "cri3_like_bilayer_tb.dat"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    path = tmp_path_factory.mktemp("plot") / "results.json"
    temperatures = [arg for t in (0, 10, 30) for arg in ("--temperature", t)]
    result = _run("compute", REFERENCE, "--mu-range", -0.4, 0.4, 41, "--fermi-energy", 0.1, *temperatures,
                  "--kmesh", 16, 16, "--kmesh-error", "--json", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def test_fermi_energy_makes_mu_relative_and_is_recorded(results, tmp_path):
    document = json.loads(results.read_text())
    assert document["metadata"]["relative_to_fermi_energy"] and document["metadata"]["fermi_energy_eV"] == 0.1
    assert document["mu_eV"][0] == pytest.approx(-0.4)
    absolute = tmp_path / "absolute.json"
    assert (
        _run("compute", REFERENCE, "--mu", -0.3, "--temperature", 0, "--kmesh", 16, 16, "--json", absolute).exit_code
        == 0
    )
    # mu - E_F = -0.4 with E_F = 0.1 is the absolute mu = -0.3
    same = json.loads(absolute.read_text())["chi_nm_per_ohm"][0][0]
    np.testing.assert_allclose(document["chi_nm_per_ohm"][0][0], same, rtol=1e-12)


@pytest.mark.parametrize(
    "args",
    [("chi", "-T", 10), ("alpha",), ("alpha-t", "--mu", 0.2)],
    ids=["chi", "alpha", "alpha-t"],
)
def test_each_plot_writes_a_png(results, tmp_path, args):
    output = tmp_path / "figure.png"
    result = _run("plot", args[0], results, *args[1:], "-o", output)
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:8] == PNG_MAGIC and 10_000 < output.stat().st_size < 1_000_000


def test_alpha_plots_default_to_the_larger_component(results, tmp_path):
    """The reference model keeps C2y: alpha_x is allowed, alpha_y forbidden, and the plot draws x unless told."""
    alpha = np.abs(np.array(json.loads(results.read_text())["alpha_nA_nm_per_K"]))
    assert alpha[..., 0].max() > 100 * alpha[..., 1].max()
    for command in (("alpha",), ("alpha-t", "--mu", 0.2)):
        chosen = _run("plot", command[0], results, *command[1:], "-o", tmp_path / "a.png")
        assert chosen.exit_code == 0 and "(component x: the larger in the result;" in chosen.output, chosen.output
        told = _run("plot", command[0], results, *command[1:], "--component", "y", "-o", tmp_path / "b.png")
        assert told.exit_code == 0 and "component" not in told.output, told.output


def test_alpha_t_takes_the_sommerfeld_slope_from_a_warm_chi(results, tmp_path):
    output = tmp_path / "alpha_t.png"
    result = _run("plot", "alpha-t", results, "--mu", 0.2, "--slope-from", 10, 0.05, "-o", output)
    assert result.exit_code == 0 and output.read_bytes()[:8] == PNG_MAGIC, result.output
    told = CliRunner().invoke(cli, ["plot", "alpha-t", str(results), "--mu", "0.2", "--slope-from", "5", "0.05",
                                    "-o", str(output)])  # fmt: skip
    assert told.exit_code != 0 and "No results at T = 5" in told.output


def test_lambda_map_png_and_its_numbers(tmp_path):
    output, numbers = tmp_path / "lambda.png", tmp_path / "lambda.json"
    result = _run("plot", "lambda", REFERENCE, "--mu", 0.3, "--kmesh", 16, "-o", output, "--json", numbers)
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:8] == PNG_MAGIC and output.stat().st_size > 10_000
    values = np.array(json.loads(numbers.read_text())["lambda_e_per_hbar_angstrom3"])
    assert values.shape == (16, 16, 2) and np.isfinite(values).all() and np.abs(values).max() > 0
    assert json.loads(numbers.read_text())["degeneracy_tol_eV"] == 1e-5


def test_lambda_map_is_drawn_again_from_its_json_with_a_clipped_scale(tmp_path):
    """The --json of a map is a source of its own: drawn again without the model, the colour scale clipped at a
    percentile; a JSON that is not such a map is refused in one line."""
    numbers = tmp_path / "lambda.json"
    assert _run("plot", "lambda", REFERENCE, "--mu", 0.3, "--kmesh", 16, "-o", tmp_path / "a.png",
                "--json", numbers).exit_code == 0  # fmt: skip
    again = tmp_path / "again.png"
    result = _run("plot", "lambda", numbers, "--clip-percentile", 90, "-o", again)
    assert result.exit_code == 0 and f"from {numbers}" in result.output, result.output
    assert again.read_bytes()[:8] == PNG_MAGIC and again.stat().st_size > 10_000
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"mu_eV": 0.3}))
    result = CliRunner().invoke(cli, ["plot", "lambda", str(wrong), "-o", str(tmp_path / "w.png")])
    assert result.exit_code != 0 and "not a map written by 'plot lambda --json'" in result.output
    result = CliRunner().invoke(cli, ["plot", "lambda", str(numbers), "--clip-percentile", "0", "-o", str(again)])
    assert result.exit_code != 0 and "--clip-percentile" in result.output


def test_lambda_map_takes_the_degeneracy_tolerance(tmp_path):
    """PT pairs split by 2e-6 eV: below 1e-5 eV they are clusters (the exact-PT map), with 1e-7 eV they are distinct
    bands and the map changes; the tolerance is recorded."""
    from aiida_orbmag.io.wannier90 import write_tb_dat
    from aiida_orbmag.physics.reference_models import cri3_like_bilayer

    maps = {}
    for name, zeeman, tol in (("exact", 0.0, 1e-5), ("split", 1e-6, 1e-5), ("distinct", 1e-6, 1e-7)):
        model, numbers = tmp_path / f"{name}_tb.dat", tmp_path / f"{name}.json"
        write_tb_dat(cri3_like_bilayer(zeeman=zeeman), model)
        result = _run("plot", "lambda", model, "--mu", 0.3, "--kmesh", 8, "--degeneracy-tol", tol,
                      "-o", tmp_path / f"{name}.png", "--json", numbers)  # fmt: skip
        assert result.exit_code == 0, result.output
        document = json.loads(numbers.read_text())
        assert document["degeneracy_tol_eV"] == tol
        maps[name] = np.array(document["lambda_e_per_hbar_angstrom3"])
    np.testing.assert_allclose(maps["split"], maps["exact"], rtol=1e-3, atol=1e-3 * np.abs(maps["exact"]).max())
    assert np.abs(maps["distinct"] - maps["exact"]).max() > 1e-2 * np.abs(maps["exact"]).max()


def test_bad_inputs_give_one_error_line(results, tmp_path):
    not_results = tmp_path / "other.json"
    not_results.write_text(json.dumps({"something": 1}))
    for args in (("chi", not_results), ("chi", results, "-T", 77), ("alpha-t", results, "--mu", 5.0)):
        result = _run("plot", *args, "-o", tmp_path / "x.png")
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
