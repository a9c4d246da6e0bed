"""`aiida-orbmag results` (one row per chain, from projections) and the plot commands on stored nodes."""

import csv
import json
import math
import os
import pathlib
import shutil

import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.tools.results import results_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def screened_group(make_planted_chain):
    """A group with a finished planted chain and an unfinished one (no outputs yet)."""
    group = orm.Group(label=f"screen-{os.getpid()}-{len(orm.Group.collection.all())}").store()
    chain = make_planted_chain()
    waiting = orm.WorkflowNode(process_type="aiida.workflows:orbmag.susceptibility").store()
    waiting.base.extras.set_many({"formula": "Ni2", "stacking": "AB", "strain": 0.01})
    group.add_nodes([chain, waiting])
    return group, chain, waiting


def test_results_table_one_row_per_chain(screened_group, tmp_path):
    group, chain, waiting = screened_group
    rows = {row["pk"]: row for row in results_table(group)}
    assert set(rows) == {chain.pk, waiting.pk}
    done = rows[chain.pk]
    summary = chain.outputs.summary.get_dict()
    assert done["state"] == "finished" and done["exit_status"] == 0
    assert done["ground_state"] == "interlayer_antiferromagnetic"
    assert done["margin_meV"] == pytest.approx(95.0)  # 0.19 eV over two Ni
    assert done["allowed"] == "y"  # the demo's group {E, PT, C2x, M_x T}
    assert done["chi_max"] == summary["largest_chi"]["magnitude_nm_per_ohm"] and math.isfinite(done["chi_max"])
    assert -0.3 - 1e-9 <= done["mu_at_chi_max"] <= 0.3 + 1e-9
    assert done["T_low"] == 100.0 and done["alpha_over_T"] > 0
    assert 0 <= done["gap_eV"] < 0.02  # a metal: only the spacing of the 6x6 grid's states across E_F
    assert 0 < done["kmesh_error"] < 10 and done["forbidden_fraction"] < 1
    assert done["wannier_dev_off_grid_eV"] == 0.15
    assert rows[waiting.pk]["state"] == "created" and rows[waiting.pk].get("chi_max") is None

    out_csv, out_json = tmp_path / "r.csv", tmp_path / "r.json"
    result = _run("results", group.label, "--csv", out_csv, "--json", out_json, "--sort", "chi_max", "--reverse")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "max|chi| nm/Ohm" in lines[0] and "interlayer_antiferromagnetic" in lines[1]  # sorted: the finite first
    assert len(list(csv.DictReader(out_csv.open()))) == 2
    assert {row["pk"] for row in json.loads(out_json.read_text())} == {chain.pk, waiting.pk}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["results", "no-such-group"], "No group with label"),
        (["results", "GROUP", "--sort", "colour"], "is not a column"),
        (["screen", "GROUP", "-G", "out"], "holds no structures"),
        (["results", "STRUCTURES"], "holds no work chains"),
        (["launch", "susceptibility", "987654321"], "No structure with PK or UUID"),
        (["launch", "susceptibility", "CHAIN"], "not a StructureData"),
        (["launch", "susceptibility", "STRUCTURE", "--codes", "pw=no-such-code@nowhere"], "No code 'no-such-code"),
        (["plot", "chi", "STRUCTURE", "-o", "x.png"], "give a chi or alpha node"),
        (["plot", "bands", "987654321", "-o", "x.png"], "No node with PK or UUID"),
    ],
)
def test_bad_input_gives_one_error_line(screened_group, args, message, tmp_path):
    group, chain, _ = screened_group
    structures = orm.Group(label=f"{group.label}-structures").store()
    structures.add_nodes([chain.inputs.structure])
    names = {
        "GROUP": group.label,
        "CHAIN": str(chain.pk),
        "STRUCTURE": str(chain.inputs.structure.pk),
        "STRUCTURES": structures.label,
    }
    result = _run(*[names.get(a, a) for a in args])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("chi", "-T", 0),
        ("alpha",),
        ("alpha-t", "--mu", 0.0, "--component", "y"),
        ("bands",),
        ("lambda",),
        ("lambda", "--mu", 0.1, "--kmesh", 16),
    ],
    ids=["chi", "alpha", "alpha-t", "bands", "lambda-stored", "lambda-computed"],
)
def test_plots_of_a_chain(make_planted_chain, tmp_path, args):
    """Every plot command draws a PNG of sane size from a chain's PK (copied to $ORBMAG_FIGURES to look at)."""
    chain = make_planted_chain()
    output = tmp_path / f"{'_'.join(str(a) for a in args[:1])}.png"
    result = _run("plot", args[0], chain.pk, *args[1:], "-o", output)
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:8] == PNG_MAGIC and 10_000 < output.stat().st_size < 1_000_000
    if args[0] == "bands":
        assert "36 DFT k-points" not in result.output and " DFT k-points on the path" in result.output
    if os.environ.get("ORBMAG_FIGURES"):
        folder = pathlib.Path(os.environ["ORBMAG_FIGURES"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(output, folder / f"{'_'.join(str(a) for a in args)}.png")


def _pw_bands(energies, parameters: dict, computer) -> orm.BandsData:
    """BandsData created by a (stored, not run) pw.x CalcJobNode whose output_parameters are ``parameters``."""
    from aiida.common.links import LinkType

    node = orm.CalcJobNode(computer=computer, process_type="aiida.calculations:quantumespresso.pw")
    node.set_process_state("finished")
    node.set_exit_status(0)
    node.store()
    bands = orm.BandsData()
    bands.set_kpoints([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    bands.set_bands(energies, units="eV")
    for label, data in (("output_parameters", orm.Dict(parameters)), ("output_band", bands)):
        data.base.links.add_incoming(node, LinkType.CREATE, label)
        data.store()
    return bands


def test_band_gap_counts_the_electrons_not_the_smeared_fermi_level(aiida_localhost):
    """An insulator whose smeared E_F lies 5 meV under its valence top (as pw.x put bilayer CrI3's): the gap is counted
    from the run's electrons (one per band when noncollinear, two when not); by E_F it would be the spacing of the
    valence states around E_F. Without a count (no pw.x creator, or spin-polarised collinear) E_F decides."""
    from aiida_orbmag.tools.results import band_gap, occupied_band_count

    energies = [[-2.0, -0.20, 0.005, 0.86, 1.5], [-1.9, -0.10, -0.03, 0.90, 1.4]]  # 3 occupied, E_F = 0
    noncollinear = _pw_bands(energies, {"number_of_electrons": 3.0, "non_colinear_calculation": True}, aiida_localhost)
    assert occupied_band_count(noncollinear) == 3
    assert band_gap(noncollinear, 0.0) == pytest.approx(0.855)
    collinear = _pw_bands(energies, {"number_of_electrons": 6.0, "lsda": False}, aiida_localhost)
    assert occupied_band_count(collinear) == 3 and band_gap(collinear, 0.0) == pytest.approx(0.855)
    spin_polarised = _pw_bands(energies, {"number_of_electrons": 6.0, "lsda": True}, aiida_localhost)
    assert occupied_band_count(spin_polarised) is None
    assert band_gap(spin_polarised, 0.0) == pytest.approx(0.035)  # by E_F: -0.03 to 0.005 eV
    two_electrons = {"number_of_electrons": 2.0, "non_colinear_calculation": True}
    metal = _pw_bands([[-1.0, 0.3, 0.6], [-1.0, -0.2, 0.1]], two_electrons, aiida_localhost)
    assert band_gap(metal, 0.0) == 0.0  # the second band's top (0.3 eV) lies over the third's bottom (0.1 eV)
