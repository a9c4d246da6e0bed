"""README's commands as a user runs them: a fresh ``verdi presto`` profile, then ``verdi run`` of the examples."""

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).parents[2]


@pytest.mark.slow
def test_verdi_run_example_on_a_fresh_presto_profile(tmp_path):
    verdi = shutil.which("verdi")
    assert verdi, "verdi is installed with aiida-core"
    environment = {**os.environ, "AIIDA_PATH": str(tmp_path)}
    subprocess.run([verdi, "presto"], env=environment, check=True, capture_output=True, timeout=120)
    command = [
        verdi,
        "run",
        "examples/compute_from_tb_file.py",
        "examples/cri3_like_bilayer_tb.dat",
        "--kmesh",
        "24",
        "24",
    ]
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if re.match(r"\s+0\.0\s+-0\.1000", line)]
    # chi_x of the reference bilayer in its gap: 3.47286342e-3 (e^2/hbar) A = 8.4535e-8 nm/Ohm (24x24 mesh)
    assert float(rows[0][2]) == pytest.approx(8.4535e-8, rel=1e-4)
    assert "input  tight_binding  TightBindingData" in done.stdout
    assert "output chi            ArrayData" in done.stdout

    pk = re.search(r"compute_susceptibility<(\d+)>", done.stdout).group(1)
    shown = subprocess.run([verdi, "process", "show", pk], env=environment, capture_output=True, text=True)
    assert shown.returncode == 0 and "Finished [0]" in shown.stdout, shown.stdout

    missing = subprocess.run(
        [verdi, "run", "examples/compute_from_tb_file.py", "missing_tb.dat"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines()[-1].startswith("Error: ")


def readme_main_job() -> str:
    """The command of README's "Main job" block (the first bash block after that heading)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"Main job.*?```bash\n(.*?)\n```", text, flags=re.S)
    assert block, "README.md has a 'Main job' paragraph followed by a bash block"
    return block.group(1).strip()


@pytest.mark.slow
def test_readme_main_job_runs_the_quick_demo_on_a_fresh_presto_profile(tmp_path):
    """README's main job, literally (the package is installed already: ORBMAG_SKIP_PIP), on a new AiiDA config folder:
    the setup script makes the ``verdi presto`` profile and the codes, the demo runs the whole chain (~6 min)."""
    command = readme_main_job()
    assert command == "bash examples/setup_embedded.sh && verdi run examples/quick_demo.py"
    environment = {**os.environ, "AIIDA_PATH": str(tmp_path), "ORBMAG_SKIP_PIP": "1"}
    done = subprocess.run(
        ["bash", "-c", command], env=environment, cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout)
    assert re.search(r"SusceptibilityWorkChain<\d+> finished with exit status 0", done.stdout)
    assert "magnetic order: interlayer_antiferromagnetic (fixed)" in done.stdout
    assert "chi allowed along ['y']" in done.stdout
    fraction = float(re.search(r"forbidden fraction (\S+)", done.stdout).group(1))
    assert fraction < 1e-2  # C2x forbids chi_x: see tests/workflows/test_susceptibility_e2e.py
    residual = float(re.search(r"relative residual (\S+)", done.stdout).group(1))
    assert residual < 0.05
    check_export_of_the_model(
        int(re.search(r"SusceptibilityWorkChain<(\d+)>", done.stdout).group(1)), environment, tmp_path
    )
    # rerunning the setup script reuses the profile and the codes
    again = subprocess.run(
        ["bash", "examples/setup_embedded.sh"], env=environment, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    config = json.loads((tmp_path / ".aiida" / "config.json").read_text())
    assert len(config["profiles"]) == 1, config["profiles"].keys()
    codes = re.compile(r"(\S+@localhost) .*\(pk (\d+),")
    # pw, pw2wannier90, wannier90, ld1 and compute (aiida-orbmag itself, chi as a job), each registered once
    assert codes.findall(again.stdout) == codes.findall(done.stdout) and len(codes.findall(done.stdout)) == 5


def check_export_of_the_model(pk: int, environment: dict, tmp_path: pathlib.Path) -> None:
    """``examples/export_model.py`` on the demo chain: wannier90's files read back as the chain's model, the record
    names the chain and its Fermi energy, and a second export writes the same bytes."""
    from aiida_orbmag.io.wannier90 import read_tb_dat

    written = []
    for name in ("first", "second"):
        command = [
            "verdi",
            "run",
            "examples/export_model.py",
            str(pk),
            "--doped-mu",
            "0.1",
            "--out",
            str(tmp_path / name),
        ]
        done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        written.append({path.name: path.read_bytes() for path in (tmp_path / name).iterdir()})
    assert sorted(written[0]) == ["README.md", "aiida_tb.dat.gz", "aiida_wsvec.dat.gz", "model.json", "provenance.json"]
    assert written[0] == written[1]
    model = json.loads(written[0]["model.json"])
    assert model["chain"]["pk"] == pk and model["doped_mu_minus_fermi_eV"] == 0.1
    assert -10.0 < model["fermi_energy_eV"] < 0.0 and model["band_gap_nscf_grid_eV"] >= 0.0
    assert all(seconds > 0 for seconds in model["wall_times_s"].values())  # a cached step: its source's time
    assert set(model["cached_from"]) <= set(model["wall_times_s"])
    # the demo's antiferromagnet has PT, which pw.x cannot impose: its pairs are split, the tolerance is above that
    assert 0.0 < model["pt_pair_splitting_24x24_eV"] < 0.5 * model["degeneracy_tol_eV"] + 1e-12
    edges = model["band_edges_wannier_60x60"]
    assert edges["gap_eV"] == pytest.approx(edges["conduction_bottom_eV"] - edges["valence_top_eV"], abs=1e-5)
    assert abs(edges["valence_top_eV"]) < 1.0  # the states are counted from the electrons: the edge is near E_F
    readme = written[0]["README.md"].decode()
    assert f"<{pk}>" in readme and "| PwCalculation<" in readme and "| Wannier90Calculation<" in readme
    tight_binding = read_tb_dat(tmp_path / "first" / "aiida_tb.dat.gz")
    assert tight_binding.num_wann == model["num_wann"] == 24
    assert json.loads(written[0]["provenance.json"])["chain"]["pk"] == pk
