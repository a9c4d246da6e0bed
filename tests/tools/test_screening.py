"""`aiida-orbmag structures` and `screen` without a daemon: the submission is replaced by a recorder, so that the
throttle, the extras, the resume (only what is missing or failed) and the checks before submission are tested fast.
The real run on a daemon is tests/tools/test_screening_e2e.py (slow)."""

import aiida_submission_controller.base
import pytest
from aiida import orm
from click.testing import CliRunner

import aiida_orbmag.cli.launch
from aiida_orbmag.cli.main import cli
from aiida_orbmag.demo import FAMILIES, PSEUDO_DIR
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

NI_FAMILIES = ["--pseudo-family", FAMILIES["full"][0], "--collinear-pseudo-family", FAMILIES["scalar"][0]]


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def recorded_submissions(monkeypatch, planted_codes):
    """engine.submit of the submission controller replaced: a stored, unsealed WorkflowNode per builder."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    builders = []

    def submit(builder):
        assert builder.process_class is SusceptibilityWorkChain
        builders.append(builder)
        return orm.WorkflowNode(process_type="aiida.workflows:orbmag.susceptibility").store()

    monkeypatch.setattr(aiida_submission_controller.base.engine, "submit", submit)
    # the test profile has no broker: the check that refuses submission without one is tested on its own below
    monkeypatch.setattr(aiida_orbmag.cli.launch, "_check_broker", lambda: None)
    return builders


def _finish(node, exit_status):
    from plumpy import ProcessState

    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(exit_status)
    node.seal()


def test_screen_throttles_and_resumes(recorded_submissions, tmp_path):
    source, target = f"ni-{tmp_path.name}", f"ni-{tmp_path.name}/fast"
    made = _run("structures", "demo", "-G", source, "--strain", -0.01, "--strain", 0, "--strain", 0.01)
    assert made.exit_code == 0, made.output
    assert _run("structures", "demo", "-G", source, "--strain", 0).output.count("already in") == 1
    assert orm.load_group(source).count() == 3

    screen = ["screen", source, "-G", target, "--max-concurrent", 2, "--protocol", "fast", *NI_FAMILIES]
    first = _run(*screen)
    assert first.exit_code == 0, first.output
    assert first.output.count("Submitted") == 2 and "1 to submit" in first.output
    chains = list(orm.load_group(target).nodes)
    extras = chains[0].base.extras.all
    assert extras["formula"] == "Ni2" and extras["layers"] == 2 and extras["stacking"] == "AB"
    assert extras["protocol"] == "fast" and extras["strain"] in (-0.01, 0.0, 0.01)
    assert orm.load_node(extras["source_structure"]) in orm.load_group(source).nodes

    assert _run(*screen).output.count("Submitted") == 0  # throttled: two still running
    _finish(chains[0], 0)
    _finish(chains[1], 403)
    third = _run(*screen)
    assert third.exit_code == 0, third.output
    assert "moved to" in third.output and third.output.count("Submitted") == 2
    sources = [node.base.extras.get("source_structure") for node in orm.load_group(target).nodes]
    assert len(sources) == len(set(sources)) == 3  # one chain per structure, the failed one resubmitted
    assert [node.pk for node in orm.load_group(f"{target}/failed").nodes] == [chains[1].pk]
    assert len(recorded_submissions) == 4
    # the resubmitted chain fails again: with --max-retries 1 it stays in the group, failed, and is not resubmitted
    source_of_failed = chains[1].base.extras.get("source_structure")
    for node in orm.load_group(target).nodes:
        if not node.is_sealed:
            _finish(node, 403 if node.base.extras.get("source_structure") == source_of_failed else 0)
    last = _run(*screen)
    assert "moved to" not in last.output and len(orm.load_group(target).nodes) == 3
    assert last.output.count("Submitted") == 0 and "0 to submit" in last.output


def test_missing_pseudopotentials_are_reported_before_submission(recorded_submissions, tmp_path):
    source = f"crx3-{tmp_path.name}"
    made = _run(
        "structures",
        "crx3",
        "-G",
        source,
        "--halogen",
        "I",
        "--layers",
        1,
        "--layers",
        2,
        "--strain",
        0,
        "--strain",
        0.02,
    )
    assert made.exit_code == 0, made.output
    structures = list(orm.load_group(source).nodes)
    assert len(structures) == 6  # the monolayer and the two bilayer stackings, each unstrained and strained
    assert {s.base.extras.get("stacking") for s in structures} == {"monolayer", "monoclinic", "rhombohedral"}
    for structure in structures:  # CrI3's bulk a = 6.87 Å, strained biaxially; made by the calcfunction
        a = 6.87 * (1 + structure.base.extras.get("strain"))
        assert structure.cell[0][0] == pytest.approx(a) and structure.creator.process_label == "chromium_trihalide"
        assert structure.get_formula() == ("Cr2I6" if structure.base.extras.get("layers") == 1 else "Cr4I12")
    result = _run("screen", source, "-G", f"{source}/out")
    assert result.exit_code == 1
    assert "lacks Cr, I" in result.output and "`aiida-orbmag pseudos install -e Cr -e I`" in result.output
    assert recorded_submissions == []


def test_an_unknown_magnetic_order_is_refused(recorded_submissions, tmp_path):
    source = f"ni-{tmp_path.name}"
    _run("structures", "demo", "-G", source)
    result = _run("screen", source, "-G", f"{source}/out", "--order", "spiral", *NI_FAMILIES)
    assert result.exit_code == 1 and "has no magnetic order 'spiral'" in result.output
    assert "interlayer_antiferromagnetic" in result.output and recorded_submissions == []


def test_launch_susceptibility_submits_one_chain(recorded_submissions, monkeypatch, tmp_path):
    """`launch susceptibility` from a structure file: the builder is submitted, the extras are set."""
    import aiida.engine

    from aiida_orbmag.demo import nickel_bilayer, pseudo_families

    pseudo_families()  # the demo's families, whichever test runs first
    submitted = []

    def submit(builder):
        submitted.append(builder)
        return orm.WorkflowNode(process_type="aiida.workflows:orbmag.susceptibility").store()

    monkeypatch.setattr(aiida.engine, "submit", submit)
    path = tmp_path / "ni.xsf"
    nickel_bilayer().get_ase().write(path)
    result = _run(
        "launch",
        "susceptibility",
        path,
        "--protocol",
        "fast",
        "--order",
        "interlayer_antiferromagnetic",
        "--spin-axis",
        90,
        90,
        "--group",
        f"one-{tmp_path.name}",
        *NI_FAMILIES,
    )
    assert result.exit_code == 0, result.output
    assert "Submitted SusceptibilityWorkChain<" in result.output
    (builder,) = submitted
    assert builder.magnetic.fixed_order.value == "interlayer_antiferromagnetic"
    assert builder.spin_axis.get_list() == [90.0, 90.0]
    assert tuple(builder.structure.pbc) == (True, True, False)
    (node,) = orm.load_group(f"one-{tmp_path.name}").nodes
    assert node.base.extras.get("protocol") == "fast" and node.base.extras.get("formula") == "Ni2"
    # a structure from a file carries no generator's extras: its magnetic layers are counted from the geometry
    assert node.base.extras.get("layers") == 2 and "stacking" not in node.base.extras.all


def test_structure_extras_count_magnetic_layers_only_when_not_given():
    from aiida_orbmag.calcfunctions.structures import chromium_trihalide_layers
    from aiida_orbmag.workflows.screening import structure_extras

    def structure(layers, extras=None):
        cell, symbols, positions = chromium_trihalide_layers("I", layers)
        node = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
        for symbol, position in zip(symbols, positions, strict=True):
            node.append_atom(position=tuple(position), symbols=symbol)
        node.store()
        node.base.extras.set_many(extras or {})
        return node

    assert structure_extras(structure(1))["layers"] == 1
    assert structure_extras(structure(2))["layers"] == 2
    assert structure_extras(structure(2, {"layers": 7, "stacking": "monoclinic"}))["layers"] == 7  # given wins
    silicon = orm.StructureData(cell=[[3.8, 0, 0], [0, 3.8, 0], [0, 0, 20]], pbc=(True, True, False))
    silicon.append_atom(position=(0, 0, 0), symbols="Si")
    assert "layers" not in structure_extras(silicon.store())  # nothing magnetic to count


def test_a_profile_without_broker_is_refused_before_submission(planted_codes, tmp_path):
    """The test profile has no broker: `screen` and `launch` say so in one line and submit nothing."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    source = f"ni-{tmp_path.name}"
    _run("structures", "demo", "-G", source)
    result = _run("screen", source, "-G", f"{source}/out", *NI_FAMILIES)
    assert result.exit_code == 1 and "has no broker" in result.output
    structure = next(iter(orm.load_group(source).nodes))
    launched = _run("launch", "susceptibility", structure.pk, *NI_FAMILIES)
    assert launched.exit_code == 1 and "has no broker" in launched.output
    assert not orm.QueryBuilder().append(orm.WorkflowNode, filters={"extras.source_structure": structure.uuid}).count()


def test_screen_on_another_computer_passes_the_scheduler_options_to_every_job(
    recorded_submissions, stand_in_codes, aiida_computer_local, tmp_path
):
    """--computer picks the codes @ that computer; --account, --queue, --walltime and the ranks reach pw.x,
    pw2wannier90.x and wannier90.x of the submitted chain (wannier90.x: one process, its code is not MPI-built)."""
    computer = aiida_computer_local(label=f"cluster-{tmp_path.name}")
    for name, plugin in (("pw", "quantumespresso.pw"), ("pw2wannier90", "quantumespresso.pw2wannier90")):
        orm.InstalledCode(
            label=name, computer=computer, filepath_executable="/bin/true", default_calc_job_plugin=plugin
        ).store()
    wannier90 = orm.InstalledCode(
        label="wannier90",
        computer=computer,
        filepath_executable="/bin/true",
        default_calc_job_plugin="orbmag.wannier90",
    )
    wannier90.with_mpi = False
    wannier90.store()
    source = f"ni-{tmp_path.name}"
    assert _run("structures", "demo", "-G", source, "--strain", 0).exit_code == 0
    where = ["--computer", computer.label, "--num-mpiprocs", 16, "--account", "proj42", "--queue", "debug"]
    result = _run("screen", source, "-G", f"{source}/x", "--protocol", "fast", *NI_FAMILIES, *where, "--walltime", 3600)
    assert result.exit_code == 0, result.output
    (builder,) = recorded_submissions
    wannierization = builder.wannierization
    jobs = {
        "pw (magnetic)": builder.magnetic.scf.pw,
        "pw (scf)": wannierization.scf.pw,
        "pw2wannier90": wannierization.pw2wannier90,
        "wannier90": wannierization.wannier90.wannier90,
    }
    for name, job in jobs.items():
        assert job.code.computer.pk == computer.pk, name
        options = dict(job.metadata.options)
        assert (options["account"], options["queue_name"], options["max_wallclock_seconds"]) == (
            "proj42",
            "debug",
            3600,
        )
        ranks = 1 if name == "wannier90" else 16
        assert options["resources"]["num_mpiprocs_per_machine"] == ranks, name
        assert options["withmpi"] is (name != "wannier90"), name


def test_a_computer_without_the_codes_is_one_line(planted_codes, aiida_computer_local, tmp_path):
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    computer = aiida_computer_local(label=f"bare-{tmp_path.name}")
    source = f"ni-{tmp_path.name}"
    assert _run("structures", "demo", "-G", source, "--strain", 0).exit_code == 0
    result = _run("screen", source, "-G", f"{source}/x", "--computer", computer.label, "--dry-run")
    assert result.exit_code == 1 and f"No code 'pw@{computer.label}'" in result.output, result.output
    assert "codes setup [--computer LABEL]" in result.output and "Traceback" not in result.output
