"""README's AiiDA main job, as a user runs it: a fresh ``verdi presto`` profile, then ``verdi run`` of the example."""

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
