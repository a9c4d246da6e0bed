"""``orbmag.magnetic_configuration``: candidates, SCF inputs per candidate, and the ranking on planted SCF results."""

import pathlib

import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.calcfunctions.structures import chromium_trihalide
from aiida_orbmag.demo import nickel_bilayer
from aiida_orbmag.workflows.magnetic_configuration import (
    MagneticConfigurationWorkChain,
    magnetic_energy_table,
    select_ground_state,
)

PSEUDO_DIR = pathlib.Path("/usr/share/espresso/pseudo")
EXIT_CODES = MagneticConfigurationWorkChain.exit_codes


@pytest.fixture
def process_factory(aiida_profile, aiida_localhost):
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    code = orm.InstalledCode(
        label="pw-magnetic",
        computer=aiida_localhost,
        filepath_executable="/bin/true",
        default_calc_job_plugin="quantumespresso.pw",
    ).store()
    pseudos = {
        "Cr": UpfData(PSEUDO_DIR / "Cr.pbe-spn-kjpaw_psl.1.0.0.UPF"),
        "I": UpfData(PSEUDO_DIR / "I.pbe-n-kjpaw_psl.1.0.0.UPF"),
    }
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([2, 2, 1])

    def factory(layers=2, **extra):
        structure = chromium_trihalide(orm.Str("I"), orm.Int(layers), orm.Str("monoclinic"), orm.Float(15.0))
        parameters = {
            "CONTROL": {"calculation": "scf"},
            "SYSTEM": {"ecutwfc": 30.0, "ecutrho": 240.0, "noncolin": True},
        }
        inputs = {
            "structure": structure,
            "scf": {"pw": {"code": code, "parameters": orm.Dict(parameters), "pseudos": pseudos}, "kpoints": kpoints},
            **extra,
        }
        process = instantiate_process(get_manager().get_runner(), MagneticConfigurationWorkChain, **inputs)
        return process

    return factory


def _planted(energy=None, total=0.0, absolute=6.0, exit_status=0):
    node = orm.WorkChainNode()
    node.set_process_state("finished")
    node.set_exit_status(exit_status)
    node.store()
    if energy is not None:
        output = orm.Dict({"energy": energy, "total_magnetization": total, "absolute_magnetization": absolute}).store()
        output.base.links.add_incoming(node, LinkType.RETURN, "output_parameters")
    return node


def test_setup_generates_the_bilayer_candidates(process_factory):
    process = process_factory()
    assert process.setup() is None
    assert set(process.ctx.candidates) == {"ferromagnetic", "interlayer_antiferromagnetic", "neel"}
    assert sorted(set(process.ctx.candidates["interlayer_antiferromagnetic"])) == [-3.0, 0.0, 3.0]


def test_scf_inputs_split_the_kinds_and_set_collinear_starting_moments(process_factory):
    process = process_factory()
    process.setup()
    inputs = process._scf_inputs("interlayer_antiferromagnetic", process.ctx.candidates["interlayer_antiferromagnetic"])
    system = inputs.pw.parameters["SYSTEM"]
    assert system["nspin"] == 2 and "noncolin" not in system
    kinds = sorted(kind.name for kind in inputs.pw.structure.kinds)
    assert kinds == ["Cr0", "Cr1", "I"] and set(inputs.pw.pseudos) == set(kinds)
    assert sorted(system["starting_magnetization"].values()) == pytest.approx([-3 / 14, 0.0, 3 / 14])
    assert inputs.metadata.call_link_label == "scf_interlayer_antiferromagnetic"


def test_ranking_reports_degenerate_failed_and_flipped_candidates(process_factory):
    process = process_factory()
    process.setup()
    process.ctx["scf_ferromagnetic"] = _planted(-1000.000, total=12.0, absolute=12.5)
    process.ctx["scf_interlayer_antiferromagnetic"] = _planted(-1000.002, total=0.01, absolute=12.4)
    process.ctx["scf_neel"] = _planted(exit_status=410)
    assert process.inspect_candidates() is None
    table = process.ctx.table.get_dict()
    assert table["ground_state"] == "interlayer_antiferromagnetic"
    assert table["failed"] == ["neel"] and "410" in table["candidates"]["neel"]["status"]
    # 2 meV over 4 Cr = 0.5 meV per magnetic atom < 1 meV tolerance: reported degenerate, not dropped
    assert table["degenerate_with_ground_state"] == ["ferromagnetic"]
    assert table["candidates"]["ferromagnetic"]["relative_energy_meV_per_magnetic_atom"] == pytest.approx(0.5)
    assert (
        table["candidates"]["ferromagnetic"]["order_kept"]
        and table["candidates"]["interlayer_antiferromagnetic"]["order_kept"]
    )


def test_an_antiferromagnet_that_became_a_ferromagnet_is_flagged(aiida_profile):
    candidates = orm.Dict(
        {
            "ferromagnetic": {"moments": [3.0, 3.0], "num_magnetic": 2, "status": "finished"},
            "afm": {"moments": [3.0, -3.0], "num_magnetic": 2, "status": "finished"},
        }
    )
    outputs = {
        "ferromagnetic": orm.Dict({"energy": -10.0, "total_magnetization": 6.0, "absolute_magnetization": 6.2}),
        "afm": orm.Dict({"energy": -10.0001, "total_magnetization": 5.9, "absolute_magnetization": 6.1}),
    }
    table = magnetic_energy_table(candidates, orm.Float(1e-3), **outputs).get_dict()
    assert table["candidates"]["afm"]["order_kept"] is False and table["candidates"]["ferromagnetic"]["order_kept"]


def test_all_failed_and_bad_candidates_give_exit_codes(process_factory):
    process = process_factory()
    process.setup()
    for name in process.ctx.candidates:
        process.ctx[f"scf_{name}"] = _planted(exit_status=300)
    assert process.inspect_candidates() == EXIT_CODES.ERROR_SUB_PROCESS_FAILED_CANDIDATES
    wrong = process_factory(candidates=orm.Dict({"fm": [3.0, 3.0]}))
    exit_code = wrong.setup()
    assert exit_code.status == EXIT_CODES.ERROR_CANDIDATES.status and "one per site" in exit_code.message


def test_select_ground_state_follows_the_table(aiida_profile):
    structures = {
        name: chromium_trihalide(orm.Str("I"), orm.Int(1), orm.Str("monoclinic"), orm.Float(vacuum))
        for name, vacuum in (("ferromagnetic", 15.0), ("neel", 16.0))
    }
    moments = {"ferromagnetic": {"Cr": 3.0, "I": 0.0}, "neel": {"Cr0": 3.0, "Cr1": -3.0, "I": 0.0}}
    inputs = {f"structure_{name}": node for name, node in structures.items()}
    inputs.update({f"moments_{name}": orm.Dict(value) for name, value in moments.items()})
    selected = select_ground_state(orm.Dict({"ground_state": "neel"}), **inputs)
    assert (
        selected["structure"].cell == structures["neel"].cell and selected["structure"].uuid != structures["neel"].uuid
    )
    assert selected["magnetic_moments"].get_dict() == moments["neel"]
    with pytest.raises(ValueError, match="'afm' of the table is not among the candidates"):
        select_ground_state(orm.Dict({"ground_state": "afm"}), **inputs)


def test_fixed_order_runs_only_that_candidate_and_says_it_was_chosen(process_factory):
    """The paper fixes bilayer CrI3's interlayer antiferromagnet: only its SCF runs, and the table records that the
    order was chosen (selection "fixed"), even where another candidate would be lower in energy."""
    process = process_factory(fixed_order=orm.Str("interlayer_antiferromagnetic"))
    assert process.setup() is None
    assert list(process.ctx.candidates) == ["interlayer_antiferromagnetic"]
    process.ctx["scf_interlayer_antiferromagnetic"] = _planted(-1000.0, total=0.0, absolute=12.4)
    assert process.inspect_candidates() is None
    table = process.ctx.table.get_dict()
    assert table["ground_state"] == "interlayer_antiferromagnetic" and table["selection"] == "fixed"
    assert process.ctx.table.creator.inputs.fixed_order.value == "interlayer_antiferromagnetic"


def test_fixed_order_outranks_the_energies_and_a_ranking_says_so(aiida_profile):
    candidates = orm.Dict(
        {
            "ferromagnetic": {"moments": [3.0, 3.0], "num_magnetic": 2, "status": "finished"},
            "afm": {"moments": [3.0, -3.0], "num_magnetic": 2, "status": "finished"},
        }
    )
    outputs = {
        "ferromagnetic": orm.Dict({"energy": -10.1, "total_magnetization": 6.0, "absolute_magnetization": 6.2}),
        "afm": orm.Dict({"energy": -10.0, "total_magnetization": 0.0, "absolute_magnetization": 6.1}),
    }
    ranked = magnetic_energy_table(candidates, orm.Float(1e-3), **outputs).get_dict()
    assert ranked["ground_state"] == "ferromagnetic" and ranked["selection"] == "lowest energy"
    fixed = magnetic_energy_table(candidates, orm.Float(1e-3), fixed_order=orm.Str("afm"), **outputs).get_dict()
    assert fixed["ground_state"] == "afm" and fixed["selection"] == "fixed"
    assert fixed["candidates"]["ferromagnetic"]["relative_energy_meV_per_magnetic_atom"] == pytest.approx(-50.0)


def test_unknown_fixed_order_is_an_input_error(process_factory):
    exit_code = process_factory(fixed_order=orm.Str("stripe")).setup()
    assert exit_code.status == EXIT_CODES.ERROR_FIXED_ORDER.status
    assert "'stripe'" in exit_code.message and "interlayer_antiferromagnetic" in exit_code.message


@pytest.mark.parametrize("protocol", ["fast", "balanced", "stringent"])
def test_protocol_builder_runs_collinear_candidates_with_the_scalar_family(fake_codes, ni_families, protocol):
    structure = nickel_bilayer()
    builder = MagneticConfigurationWorkChain.get_builder_from_protocol(
        fake_codes["pw"], structure, protocol=protocol, pseudo_family="test/Ni/SR"
    )
    assert builder.structure.uuid == structure.uuid and "structure" not in builder.scf.pw
    assert builder.scf.pw.parameters["SYSTEM"]["nspin"] == 2 and "lspinorb" not in builder.scf.pw.parameters["SYSTEM"]
    assert builder.scf.pw.pseudos["Ni"].uuid == ni_families["test/Ni/SR"].get_pseudo("Ni").uuid
    assert builder.moment.value == 3.0 and builder.degeneracy_tolerance.value == 1e-3


def test_port_defaults_are_those_of_the_protocol_file():
    """One home per default: the ports read protocols/magnetic_configuration.yaml."""
    ports = MagneticConfigurationWorkChain.spec().inputs
    defaults = MagneticConfigurationWorkChain.get_protocol_inputs()
    assert ports["moment"].default().value == defaults["moment"] == 3.0
    assert ports["degeneracy_tolerance"].default().value == defaults["degeneracy_tolerance"] == 1e-3
