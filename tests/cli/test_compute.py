"""The `aiida-orbmag compute` command: values, JSON keys, and one readable error line for every bad input."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_orbmag.cli.main import JSON_KEYS, cli
from aiida_orbmag.io.wannier90 import write_tb_dat
from aiida_orbmag.physics.reference_models import CRI3_LIKE_CHI_HALF_FILLING, random_model
from aiida_orbmag.physics.units import ALPHA_UNIT_NA_NM_PER_K, CHI_UNIT_NM_PER_OHM

ROOT = pathlib.Path(__file__).parents[2]
REFERENCE = ROOT / "examples" / "cri3_like_bilayer_tb.dat"
LEAD = ROOT / "tests" / "io" / "data" / "lead_tb.dat"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_reference_model_chi_and_json(tmp_path):
    """The shipped example reproduces chi of the reference model (1e-4 relative) in about a second."""
    out = tmp_path / "chi.json"
    result = _run("compute", REFERENCE, "--mu", -0.1, "--mu", 0.3, "--temperature", 0, "--temperature", 300,
                  "--kmesh", 24, 24, "--json", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "chi_x (nm/Ohm)" in result.output
    document = json.loads(out.read_text())
    assert tuple(document) == (*JSON_KEYS[:4], "chi_reduced", "alpha_reduced", *JSON_KEYS[4:])
    assert document["mu_eV"] == [-0.1, 0.3] and document["temperature_K"] == [0.0, 300.0]
    chi = np.array(document["chi_nm_per_ohm"])
    alpha = np.array(document["alpha_nA_nm_per_K"])
    assert chi.shape == alpha.shape == (2, 2, 2)
    expected = CRI3_LIKE_CHI_HALF_FILLING[0] * CHI_UNIT_NM_PER_OHM
    assert chi[0, 0, 0] == pytest.approx(expected, rel=1e-4)
    assert abs(chi[0, 0, 1]) < 1e-12 * expected
    assert np.all(alpha[0] == 0)  # no entropy at T = 0
    assert document["metadata"]["kmesh"] == [24, 24]
    assert document["metadata"]["position_operator"] == "full"
    assert document["metadata"]["degeneracy_tol_eV"] == 1e-5
    assert "version" in document["metadata"]


def test_matches_the_library_with_options(tmp_path):
    """--mu-range, --tb-approximation, --degeneracy-tol and --relaxation-time reach the library unchanged."""
    from aiida_orbmag.physics.conventions import Conventions
    from aiida_orbmag.physics.response import compute_susceptibility

    model = random_model(6, seed=4)
    path = tmp_path / "random_tb.dat"
    write_tb_dat(model, path)
    out = tmp_path / "r.json"
    result = _run("compute", path, "--mu-range", -0.5, 0.5, 3, "--temperature", 100, "--kmesh", 12, 12,
                  "--tb-approximation", "--degeneracy-tol", 1e-6, "--relaxation-time", 5, "--json", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert set(document) == {*JSON_KEYS, "chi_reduced", "alpha_reduced", "extrinsic"}
    library = compute_susceptibility(
        model, [-0.5, 0.0, 0.5], [100.0], (12, 12),
        conventions=Conventions(position_operator="diagonal", degeneracy_tol=1e-6), relaxation_time_fs=5.0,
    )  # fmt: skip
    assert np.allclose(document["chi_nm_per_ohm"], library.chi * CHI_UNIT_NM_PER_OHM, rtol=1e-12)
    assert np.allclose(document["alpha_nA_nm_per_K"], library.alpha * ALPHA_UNIT_NA_NM_PER_K, rtol=1e-12)
    assert np.allclose(document["extrinsic"]["chi_nm_per_ohm"], library.chi_extrinsic * CHI_UNIT_NM_PER_OHM)
    assert document["extrinsic"]["relaxation_time_fs"] == 5.0
    assert document["metadata"]["position_operator"] == "diagonal"


def _bad_files(tmp_path):
    lines = REFERENCE.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("    2    1"))
    files = {}

    def write(name, content):
        files[name] = tmp_path / f"{name}_tb.dat"
        files[name].write_text("\n".join(content) + "\n")

    write("truncated", lines[: len(lines) // 2])
    write("num_wann", lines[:4] + ["           3"] + lines[5:])
    m, n, re, im = lines[index].split()
    write("hermitian", lines[:index] + [f"{m:>5}{n:>5}   {float(re) + 0.1: .8e} {float(im): .8e}"] + lines[index + 1 :])
    write("nan", lines[:index] + [f"{m:>5}{n:>5}   NaN 0.0"] + lines[index + 1 :])
    files["missing"] = tmp_path / "missing_tb.dat"
    files["three_d"] = LEAD
    return files


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such file"),
        ("truncated", "truncated"),
        ("num_wann", "num_wann"),
        ("hermitian", "not Hermitian"),
        ("nan", "NaN"),
        ("three_d", "xy plane"),
    ],
)
def test_bad_files_give_one_readable_line(case, message, tmp_path):
    """A subprocess, as a user would run it: non-zero exit, one 'Error:' line on stderr, no traceback."""
    path = _bad_files(tmp_path)[case]
    completed = subprocess.run(
        [sys.executable, "-m", "aiida_orbmag.cli.main", "compute", str(path), "--mu", "0", "--temperature", "0",
         "--kmesh", "4", "4"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("Error: ") and message in lines[0]
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--temperature", "0", "--kmesh", "4", "4"], "either as --mu"),
        (["--mu", "0", "--mu-range", "0", "1", "3", "--temperature", "0", "--kmesh", "4", "4"], "either as --mu"),
        (["--mu", "0", "--temperature", "-5", "--kmesh", "4", "4"], ">= 0 K"),
        (["--mu", "0", "--temperature", "0", "--kmesh", "0", "4"], "two positive integers"),
        (["--mu", "0", "--temperature", "0", "--kmesh", "4", "4", "--relaxation-time", "3"], "temperatures > 0 K"),
        (["--mu", "0", "--temperature", "0", "--kmesh", "4", "4", "--degeneracy-tol", "-1"], "non-negative"),
    ],
)
def test_bad_options(arguments, message):
    result = CliRunner().invoke(cli, ["compute", str(REFERENCE), *arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_kmesh_error_processes_and_progress(tmp_path):
    """--kmesh-error prints and writes the estimated errors, --processes gives the same numbers, --progress draws
    on stderr only (the table on stdout stays clean)."""
    from aiida_orbmag.physics.response import compute_susceptibility

    out = tmp_path / "e.json"
    result = CliRunner().invoke(
        cli,
        ["compute", str(REFERENCE), "--mu", "0.3", "--temperature", "300", "--kmesh", "16", "16", "--kmesh-error",
         "--processes", "2", "--progress", "--json", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dchi_x" in result.stdout and "shifted 8x8 grids" in result.stdout
    assert "k-points" in result.stderr and "k-points" not in result.stdout
    document = json.loads(out.read_text())
    assert set(document) == {*JSON_KEYS, "chi_reduced", "alpha_reduced", "kmesh_error"}
    from aiida_orbmag.io.wannier90 import read_tb_dat

    library = compute_susceptibility(read_tb_dat(REFERENCE), [0.3], [300.0], (16, 16), kmesh_error=True)
    assert np.allclose(document["kmesh_error"]["chi_nm_per_ohm"], library.chi_kmesh_error_nm_per_ohm, rtol=1e-9)
    assert np.allclose(document["chi_nm_per_ohm"], library.chi_nm_per_ohm, rtol=1e-12)
    assert document["kmesh_error"]["coarse_kmesh"] == [8, 8]
    assert document["metadata"]["kmesh_error"]["coarse_kmesh"] == [8, 8]


def test_mdrs_is_applied_and_reported(nickel_afm_model_folder, tmp_path):
    """The demo's real model: the wsvec file beside the _tb.dat is used (first line and JSON metadata say so), an
    explicit --wsvec gives the same numbers, --no-mdrs the plain Wigner-Seitz model (other numbers)."""
    tb = nickel_afm_model_folder / "aiida_tb.dat"
    common = ["--mu", -5.1, "--temperature", 300, "--kmesh", 6, 6, "--degeneracy-tol", 1e-3]
    auto = _run("compute", tb, *common, "--json", tmp_path / "auto.json")
    assert auto.exit_code == 0, auto.output
    assert "interpolation: MDRS" in auto.output.splitlines()[0]
    document = json.loads((tmp_path / "auto.json").read_text())
    assert document["metadata"]["model"]["mdrs_applied"] is True
    explicit = _run("compute", tb, *common, "--wsvec", nickel_afm_model_folder / "aiida_wsvec.dat",
                    "--json", tmp_path / "explicit.json")  # fmt: skip
    assert explicit.exit_code == 0
    assert json.loads((tmp_path / "explicit.json").read_text())["chi_nm_per_ohm"] == document["chi_nm_per_ohm"]
    plain = _run("compute", tb, *common, "--no-mdrs", "--json", tmp_path / "plain.json")
    assert plain.exit_code == 0 and "plain Wigner-Seitz" in plain.output.splitlines()[0]
    plain_document = json.loads((tmp_path / "plain.json").read_text())
    assert plain_document["metadata"]["model"]["mdrs_applied"] is False
    assert plain_document["chi_nm_per_ohm"] != document["chi_nm_per_ohm"]


@pytest.mark.parametrize(
    ("wsvec_text", "extra", "message"),
    [
        ("## written on a day\n", [], "use_ws_distance"),
        ("## with use_ws_distance=.true.\n    0    0    0    1    1\n    2\n    0    0    0\n", [], "announces 2"),
        (None, ["--wsvec", "missing_wsvec.dat"], "no such file"),
        (None, ["--wsvec", "aiida_wsvec.dat", "--no-mdrs"], "not both"),
    ],
    ids=["header", "truncated", "missing", "both_options"],
)
def test_bad_wsvec_gives_one_readable_line(nickel_afm_model_folder, tmp_path, wsvec_text, extra, message):
    """Subprocess, as a user runs it: non-zero exit, one line on stderr naming what is wrong, no traceback."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "aiida_tb.dat").symlink_to(nickel_afm_model_folder / "aiida_tb.dat")
    if wsvec_text is not None:
        (folder / "aiida_wsvec.dat").write_text(wsvec_text)
    else:
        (folder / "aiida_wsvec.dat").symlink_to(nickel_afm_model_folder / "aiida_wsvec.dat")
    extra = [str(folder / e) if e.endswith(".dat") else e for e in extra]
    completed = subprocess.run(
        [sys.executable, "-m", "aiida_orbmag.cli.main", "compute", str(folder / "aiida_tb.dat"), "--mu", "0",
         "--temperature", "0", "--kmesh", "2", "2", *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    if "--no-mdrs" in extra:  # an option clash is a usage error: click shows the usage above the one Error line
        assert completed.returncode == 2 and lines[0].startswith("Usage:")
        lines = lines[-1:]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--mu-range", "0", "1", "100000000000", "--temperature", "0", "--kmesh", "4", "4"], "from 1 to 100000"),
        (["--mu", "0", "--temperature", "0", "--kmesh", "100000", "100000"], "k-points, more than"),
        (["--mu", "0", "--temperature", "0", "--kmesh", "8", "8", "--max-kpoints", "10"], "more than the 10 accepted"),
    ],
    ids=["huge_mu_range", "huge_kmesh", "max_kpoints"],
)
def test_unbounded_work_is_refused_up_front(arguments, message):
    """A mu grid or a k-mesh that cannot be held or finished is refused before any work, with one readable line."""
    completed = subprocess.run(
        [sys.executable, "-m", "aiida_orbmag.cli.main", "compute", str(REFERENCE), *arguments],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert completed.returncode != 0
    assert message in completed.stderr.strip().splitlines()[-1], completed.stderr
    assert "Traceback" not in completed.stderr and "MemoryError" not in completed.stderr


def test_directory_fifo_and_unwritable_json(tmp_path):
    """Each is named for what it is, and an unwritable --json is found before the computation."""
    fifo = tmp_path / "pipe_tb.dat"
    os.mkfifo(fifo)
    common = ["--mu", "0", "--temperature", "0", "--kmesh", "4", "4"]
    for path, message in ((tmp_path, "is a directory"), (fifo, "not a regular file")):
        result = CliRunner().invoke(cli, ["compute", str(path), *common])
        assert result.exit_code != 0 and message in result.output, result.output
    result = CliRunner().invoke(cli, ["compute", str(REFERENCE), *common, "--json", str(tmp_path / "no" / "x.json")])
    assert result.exit_code != 0 and "cannot be written" in result.output
    assert "chi_x" not in result.output  # refused before computing


def test_overflowing_model_gives_one_line_and_no_numpy_warnings(tmp_path):
    """Hoppings of 1e300 eV pass the file checks but overflow in the sums: one Error line saying the result is not
    finite, no RuntimeWarning lines before it, and no NaN written anywhere."""
    from aiida_orbmag.physics.reference_models import cri3_like_bilayer

    model = cri3_like_bilayer()
    path = tmp_path / "huge_tb.dat"
    write_tb_dat(model.replace(hamiltonian=model.hamiltonian * 1e300), path)
    completed = subprocess.run(
        [sys.executable, "-m", "aiida_orbmag.cli.main", "compute", str(path), "--mu", "0", "--temperature", "0",
         "--kmesh", "4", "4", "--json", str(tmp_path / "out.json")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode != 0 and len(lines) == 1, completed.stderr
    assert "not finite" in lines[0] and not (tmp_path / "out.json").exists()


C2Y = {"rotation": [[-1, 0], [0, 1]], "time_reversal": False}
C2X = {"rotation": [[1, 0], [0, -1]], "time_reversal": False}


def test_checks_are_printed_and_written(tmp_path):
    """The library's checks (physics.checks.summary) follow the table and go into the JSON, as in the calcfunction's
    summary node: the Mott identity on a uniform mu grid with T = 0, and the symmetry-forbidden chi_y under C2y
    (which the reference bilayer keeps exactly); claiming C2x instead, which it lacks, is flagged."""
    from aiida_orbmag.io.wannier90 import read_tb_dat
    from aiida_orbmag.physics import checks
    from aiida_orbmag.physics.response import compute_susceptibility
    from aiida_orbmag.physics.symmetry import operations_from_dicts

    symmetry, out = tmp_path / "c2y.json", tmp_path / "chi.json"
    symmetry.write_text(json.dumps([C2Y]))
    result = _run("compute", REFERENCE, "--mu-range", -1.5, 1.5, 61, "--temperature", 0, "--temperature", 300,
                  "--kmesh", 12, 12, "--symmetry", symmetry, "--json", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Mott identity (alpha against the T = 0 chi): relative residual" in result.output
    assert "symmetry: allowed chi components: x;" in result.output and "(small)" in result.output
    document = json.loads(out.read_text())
    model = read_tb_dat(REFERENCE)
    library = compute_susceptibility(model, np.linspace(-1.5, 1.5, 61), [0.0, 300.0], (12, 12))
    expected = checks.summary(library, model, operations_from_dicts([C2Y]))
    assert document["checks"] == json.loads(json.dumps(expected))
    assert document["checks"]["symmetry"]["intrinsic_forbidden_fraction"] < 1e-12
    assert document["checks"]["mott_identity"]["evaluated"] is True

    symmetry.write_text(json.dumps([C2X]))
    wrong = _run("compute", REFERENCE, "--mu", 0.0, "--temperature", 0, "--kmesh", 12, 12, "--symmetry", symmetry)
    assert wrong.exit_code == 0, wrong.output
    assert "allowed chi components: y;" in wrong.output and "NOT small" in wrong.output
    assert "Mott identity: not evaluated (the chemical potentials are not an increasing uniform grid)" in wrong.output
    plain = _run("compute", REFERENCE, "--mu", 0.0, "--temperature", 0, "--kmesh", 6, 6)
    assert "symmetry: not checked" in plain.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"rotation": [[1, 0], [0, 1]]}), "must be a list of operations"),
        (json.dumps([{"rotation": [[2, 0], [0, 1]]}]), "symmetry operation 0 must be"),
        (json.dumps([{**C2Y, "timereversal": True}]), "unknown keys ['timereversal']"),
    ],
)
def test_bad_symmetry_file_gives_one_readable_line(tmp_path, content, message):
    symmetry = tmp_path / "symmetry.json"
    symmetry.write_text(content)
    result = _run("compute", REFERENCE, "--mu", 0.0, "--temperature", 0, "--kmesh", 4, 4, "--symmetry", symmetry)
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("Error: ") and result.output.count("\n") == 1
