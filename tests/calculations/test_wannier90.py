"""Wannier90Calculation run with the real wannier90.x on fcc lead (Wannier90's example02: 4 sp3 WFs, 4x4x4 grid)."""

import gzip
import pathlib

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.plugins import CalculationFactory

DATA = pathlib.Path(__file__).parent / "data"
Wannier90Calculation = CalculationFactory("orbmag.wannier90")
BOHR = 0.52917721092
PATH = {"path": [["G", "X"], ["X", "W"]], "point_coords": {"G": [0, 0, 0], "X": [0.5, 0, 0.5], "W": [0.5, 0.25, 0.75]}}


def lead_structure() -> orm.StructureData:
    cell = np.array([[-4.67775, 0, 4.67775], [0, 4.67775, 4.67775], [-4.67775, 4.67775, 0]]) * BOHR
    structure = orm.StructureData(cell=cell.tolist())
    structure.append_atom(position=(0, 0, 0), symbols="Pb")
    return structure


def lead_kpoints() -> orm.KpointsData:
    kpoints = orm.KpointsData()
    kpoints.set_kpoints(np.loadtxt(DATA / "lead_kpoints.txt"))
    return kpoints


def lead_overlaps() -> orm.FolderData:
    folder = orm.FolderData()
    for suffix in ("amn", "mmn", "eig"):
        content = gzip.decompress((DATA / f"lead.{suffix}.gz").read_bytes())
        folder.base.repository.put_object_from_bytes(content, f"aiida.{suffix}")
    return folder


@pytest.fixture
def lead_builder(aiida_profile_clean, wannier90_code):
    builder = Wannier90Calculation.get_builder()
    builder.code = wannier90_code
    builder.structure = lead_structure()
    builder.kpoints = lead_kpoints()
    builder.parameters = orm.Dict({"num_wann": 4, "num_iter": 20, "use_ws_distance": False, "bands_num_points": 20})
    builder.projections = orm.List(["Pb:sp3"])
    builder.metadata.options.max_wallclock_seconds = 120
    return builder


def test_postproc_setup_gives_the_nnkp_file(lead_builder):
    lead_builder.settings = orm.Dict({"postproc_setup": True})
    results, node = run_get_node(lead_builder)
    assert node.exit_status == 0, node.exit_message
    nnkp = results["nnkp_file"].get_content()
    # 4x4x4 grid of 64 k-points; fcc needs 8 nearest-neighbour b-vectors per k-point
    nnkpts = nnkp.split("begin nnkpts")[1].split("end nnkpts")[0].split()
    assert int(nnkpts[0]) == 8
    assert len(nnkpts[1:]) == 64 * 8 * 5
    assert "begin projections" in nnkp


def test_full_run_from_a_local_folder(lead_builder):
    lead_builder.local_input_folder = lead_overlaps()
    lead_builder.kpoint_path = orm.Dict(PATH)
    results, node = run_get_node(lead_builder)
    assert node.exit_status == 0, node.exit_message
    assert {"output_parameters", "tight_binding", "interpolated_bands", "retrieved"} <= set(results)

    win = node.base.repository.get_object_content("aiida.win")
    assert "write_tb = .true." in win and "bands_plot = .true." in win and "mp_grid = 4 4 4" in win

    model = results["tight_binding"].get_model()
    bands = results["interpolated_bands"]
    phases = np.exp(2j * np.pi * bands.get_kpoints() @ model.r_vectors.T)
    energies = np.linalg.eigvalsh(np.einsum("kr,rmn->kmn", phases, model.hoppings()))
    np.testing.assert_allclose(energies, bands.get_bands(), atol=1e-4)
    # the model's node is linked to the run that made it: the provenance of every later chi starts here
    assert results["tight_binding"].base.links.get_incoming().one().node.pk == node.pk


def test_restart_from_a_remote_folder_gives_the_same_model(lead_builder):
    lead_builder.local_input_folder = lead_overlaps()
    first, _ = run_get_node(lead_builder)

    del lead_builder.local_input_folder
    lead_builder.remote_input_folder = first["remote_folder"]
    second, node = run_get_node(lead_builder)
    assert node.exit_status == 0, node.exit_message
    np.testing.assert_allclose(
        second["tight_binding"].get_model().hamiltonian, first["tight_binding"].get_model().hamiltonian, atol=1e-9
    )


def test_bad_parameters_exit_with_the_werr_message(lead_builder):
    lead_builder.local_input_folder = lead_overlaps()
    lead_builder.parameters = orm.Dict({"num_wann": 4, "num_iter": -5})
    results, node = run_get_node(lead_builder)
    assert node.exit_status == Wannier90Calculation.exit_codes.ERROR_WERR_FILE_PRESENT.status
    assert "num_iter must be positive" in node.exit_message
    assert "tight_binding" not in results


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parameters": {"num_wann": 4, "mp_grid": [4, 4, 4]}}, "mp_grid follows from the `kpoints` input"),
        ({"parameters": {"num_wann": 4, "Unit_Cell_Cart": 1}}, "the unit cell is written from the `structure`"),
        ({"parameters": {"num_iter": 4}}, "must give num_wann"),
        ({"parameters": {"num_wann": 4, "NUM_WANN": 4}}, "same key twice"),
        ({"settings": {"postproc": True}}, "Unknown settings ['postproc']"),
        ({"kpoint_path": {"path": [["G", "Q"]], "point_coords": {"G": [0, 0, 0]}}}, "two labels defined"),
        ({"drop_projections": True}, "Give the projections input"),
        ({"no_folder": True}, "Give exactly one of local_input_folder or remote_input_folder"),
        ({"missing_mmn": True}, "local_input_folder lacks ['aiida.mmn']"),
        ({"kpoints": "half"}, "not a complete Gamma-centred uniform grid"),
        # hardening: nothing may write its own lines into aiida.win, and no file may be fetched or put outside the job
        ({"parameters": {"num_wann": "4\nwrite_tb = .false."}}, "newline or control character"),
        ({"parameters": {"num_wann": 4, "dis_froz_max": [1, "2\nbegin"]}}, "newline or control character"),
        ({"parameters": {"num_wann": 4, "bad key": 1}}, "not a wannier90 keyword"),
        ({"projections": ["Pb:sp3\nend projections"]}, "one-line strings"),
        ({"kpoint_path": {"path": [["G", "X\n"]], "point_coords": {"G": [0, 0, 0], "X\n": [0.5, 0, 0]}}}, "labels"),
        ({"settings": {"additional_retrieve_list": ["../../secret"]}}, "inside the job folder"),
        ({"settings": {"additional_retrieve_list": ["/etc/passwd"]}}, "inside the job folder"),
        ({"settings": {"additional_remote_copy_list": [["uuid", "/data/x", "../x"]]}}, "destination '../x'"),
        ({"settings": {"additional_remote_symlink_list": [["uuid", "/data/x", "/tmp/x"]]}}, "destination '/tmp/x'"),
    ],
)
def test_invalid_inputs_are_refused_before_running(lead_builder, change, message):
    lead_builder.local_input_folder = lead_overlaps()
    with pytest.raises(ValueError) as error:  # port validators raise on assignment, the others on run
        if "parameters" in change:
            lead_builder.parameters = orm.Dict(change["parameters"])
        if "settings" in change:
            lead_builder.settings = orm.Dict(change["settings"])
        if "kpoint_path" in change:
            lead_builder.kpoint_path = orm.Dict(change["kpoint_path"])
        if "projections" in change:
            lead_builder.projections = orm.List(change["projections"])
        if change.get("drop_projections"):
            del lead_builder.projections
        if change.get("no_folder"):
            del lead_builder.local_input_folder
        if change.get("missing_mmn"):
            folder = orm.FolderData()
            folder.base.repository.put_object_from_bytes(b"", "aiida.eig")
            folder.base.repository.put_object_from_bytes(b"", "aiida.amn")
            lead_builder.local_input_folder = folder
        if change.get("kpoints") == "half":
            kpoints = orm.KpointsData()
            kpoints.set_kpoints(np.loadtxt(DATA / "lead_kpoints.txt")[:32])
            lead_builder.kpoints = kpoints
        run_get_node(lead_builder)
    assert message in str(error.value)


def test_exit_codes_are_unique_and_documented():
    codes = Wannier90Calculation.spec().exit_codes
    statuses = [code.status for code in codes.values()]
    assert len(statuses) == len(set(statuses))
    for label in ("ERROR_WERR_FILE_PRESENT", "ERROR_BVECTORS", "ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES"):
        assert codes[label].message.endswith(".") or "{error}" in codes[label].message
    assert [codes[label].status for label in ("ERROR_WERR_FILE_PRESENT", "ERROR_BVECTORS")] == [300, 401]
    assert codes.ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES.status == 402
    assert codes.ERROR_OUTPUT_STDOUT_INCOMPLETE.status == 404
