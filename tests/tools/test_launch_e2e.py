"""`aiida-orbmag launch susceptibility --run` for real: the demo's Ni(111) bilayer from a structure file, the fast
protocol with the screening test's overrides, the chain run in the test process by the real pw.x, pw2wannier90.x
and wannier90.x (no daemon, no cache). About 4-6 minutes on 2 cores."""

import math
import shutil

import numpy as np
import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.demo import FAMILIES, PSEUDO_DIR, nickel_bilayer, pseudo_families


@pytest.mark.slow
def test_launch_run_finishes_a_chain_with_real_codes(aiida_profile, qe_codes, tmp_path, fast_demo_overrides):
    if not PSEUDO_DIR.is_dir() or shutil.which("pw.x") is None:
        pytest.skip("needs Debian's quantum-espresso(-data) and wannier90")
    from aiida.manage.caching import disable_caching

    pseudo_families()
    path = tmp_path / "ni_bilayer.xsf"
    nickel_bilayer().get_ase().write(path)
    overrides = fast_demo_overrides
    group = f"launch-{tmp_path.name}"
    codes = [f"--codes={key}={code.pk}" for key, code in qe_codes.items()]
    arguments = [
        "launch", "susceptibility", path, "--run", "--protocol", "fast", *codes,
        "--pseudo-family", FAMILIES["full"][0], "--collinear-pseudo-family", FAMILIES["scalar"][0],
        "--order", "interlayer_antiferromagnetic", "--spin-axis", 90, 90, "--overrides", overrides,
        "--num-mpiprocs", 2, "--walltime", 1800, "--group", group,
    ]  # fmt: skip
    with disable_caching():  # every step runs its executable, whatever the profile's caching says
        result = CliRunner().invoke(cli, [str(argument) for argument in arguments])
    print(result.output)
    assert result.exit_code == 0, result.output
    assert "Ran (finished, exit status 0) SusceptibilityWorkChain<" in result.output

    (chain,) = orm.load_group(group).nodes
    assert chain.is_finished_ok, chain.exit_message
    assert f"SusceptibilityWorkChain<{chain.pk}>" in result.output
    structure = chain.inputs.structure  # stored from the file, as a 2D layer
    assert structure.pbc == (True, True, False) and len(structure.sites) == 2
    extras = chain.base.extras.all
    assert extras["formula"] == "Ni2" and extras["source_structure"] == structure.uuid and extras["protocol"] == "fast"
    assert extras["layers"] == 2  # counted from the geometry: a file carries no generator's extras

    # every job ran the code it was given, with the scheduler options of the command line, none from the cache
    jobs = [node for node in chain.called_descendants if isinstance(node, orm.CalcJobNode)]
    assert {job.process_label for job in jobs} >= {"PwCalculation", "Pw2wannier90Calculation", "Wannier90Calculation"}
    given = {code.pk for code in qe_codes.values()}
    for job in jobs:
        assert job.is_finished_ok and job.base.caching.get_cache_source() is None, job.pk
        assert job.inputs.code.pk in given
        assert job.get_option("max_wallclock_seconds") == 1800
    mpi_jobs = [job for job in jobs if job.process_label in ("PwCalculation", "Pw2wannier90Calculation")]
    assert all(job.get_option("resources")["num_mpiprocs_per_machine"] == 2 for job in mpi_jobs)

    # the chosen order and spin axis reached the physics: only chi_y is allowed, and it is finite
    energies = chain.outputs.magnetic_energies.get_dict()
    assert energies["selection"] == "fixed" and energies["ground_state"] == "interlayer_antiferromagnetic"
    symmetry = chain.outputs.summary.get_dict()["symmetry"]
    assert symmetry["intrinsic_allowed"] == {"x": False, "y": True}
    chi = chain.outputs.chi.get_array("chi")
    assert np.isfinite(chi).all() and math.isfinite(np.abs(chi[..., 1]).max()) and np.abs(chi[..., 1]).max() > 0
