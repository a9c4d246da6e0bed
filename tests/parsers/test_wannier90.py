"""Wannier90Parser on real wannier90.x outputs (see data/README.md for how each case was produced)."""

import gzip
import pathlib

import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.plugins import CalculationFactory, ParserFactory

from aiida_orbmag.parsers.wannier90 import parse_wout
from aiida_orbmag.physics.bands import band_energies
from tests.retrieved import plant_retrieved

DATA = pathlib.Path(__file__).parent / "data"
Wannier90Calculation = CalculationFactory("orbmag.wannier90")
Wannier90Parser = ParserFactory("orbmag.wannier90")

BOHR = 0.52917721092
LEAD_CELL = (np.array([[-4.67775, 0, 4.67775], [0, 4.67775, 4.67775], [-4.67775, 4.67775, 0]]) * BOHR).tolist()


def read_case_file(path: pathlib.Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


@pytest.fixture
def parsed(aiida_profile_clean, aiida_localhost):
    """Run the parser on the files of one case, as if a Wannier90Calculation had retrieved them."""

    def factory(case: str, parameters: dict, with_win: bool = False, replace: dict | None = None):
        """``replace``: retrieved file name -> its bytes instead of the case's, or None to leave it out."""
        replace = replace or {}
        node = orm.CalcJobNode(computer=aiida_localhost, process_type="aiida.calculations:orbmag.wannier90")
        node.set_option("resources", {"num_machines": 1, "num_mpiprocs_per_machine": 1})
        structure = orm.StructureData(cell=LEAD_CELL)
        structure.append_atom(position=(0, 0, 0), symbols="Pb")
        for label, data in (("parameters", orm.Dict(parameters)), ("structure", structure)):
            node.base.links.add_incoming(data.store(), LinkType.INPUT_CALC, label)
        node.store()
        files = {}
        for path in sorted((DATA / case).iterdir()):
            if path.name == "aiida.win" and not with_win:
                continue  # the CalcJob does not retrieve its own input
            name = path.name.removesuffix(".gz")
            content = replace.get(name, read_case_file(path))
            if content is not None:
                files[name] = content
        plant_retrieved(node, files)
        results, process = Wannier90Parser.parse_from_node(node, store_provenance=False)
        return results, process

    return factory


def exit_code(label: str):
    return Wannier90Calculation.spec().exit_codes[label]


def test_postproc_returns_the_nnkp_file(parsed):
    results, process = parsed("lead_postproc", {"num_wann": 4})
    assert process.exit_status == 0
    assert set(results) == {"nnkp_file"}
    expected = (DATA / "lead_postproc" / "aiida.nnkp").read_text()
    assert results["nnkp_file"].get_content() == expected
    assert "begin nnkpts" in expected


def test_full_run_outputs(parsed):
    results, process = parsed("lead_normal", {"num_wann": 4, "num_iter": 20})
    assert process.exit_status == 0, process.exit_message
    assert set(results) == {"output_parameters", "tight_binding", "interpolated_bands"}

    output = results["output_parameters"].get_dict()
    functions = output["wannier_functions_output"]
    assert [wf["wf_ids"] for wf in functions] == [1, 2, 3, 4]
    # the parsed numbers are consistent with each other: the total spread is the sum of the parts and of the WFs
    parts = output["Omega_I"] + output["Omega_D"] + output["Omega_OD"]
    assert parts == pytest.approx(output["Omega_Total"], abs=1e-6)
    assert sum(wf["wf_spreads"] for wf in functions) == pytest.approx(output["Omega_Total"], abs=1e-5)
    assert output["disentanglement_converged"] is None  # num_bands == num_wann: no disentanglement
    assert output["wall_time_seconds"] > 0

    model = results["tight_binding"].get_model()
    assert results["tight_binding"].num_wann == 4
    assert results["tight_binding"].has_position_matrix
    assert results["tight_binding"].source_filename == "aiida_tb.dat"
    np.testing.assert_allclose(model.lattice, LEAD_CELL, atol=1e-5)
    # the Wannier centres of the model are the centres wannier90 printed in the final state
    np.testing.assert_allclose(
        np.sort(model.centres, axis=0), np.sort([wf["wf_centres"] for wf in functions], axis=0), atol=2e-5
    )


def test_tight_binding_reproduces_the_interpolated_bands(parsed):
    """An independent route to the same numbers: H(k) = sum_R t(R) exp(2 pi i k.R) from aiida_tb.dat, diagonalised
    at the k-points of aiida_band.kpt, equals wannier90's own band interpolation (use_ws_distance = false)."""
    results, process = parsed("lead_normal", {"num_wann": 4, "num_iter": 20})
    bands = results["interpolated_bands"]
    kpoints = bands.get_kpoints()
    energies = bands.get_bands()
    assert energies.shape == (len(kpoints), 4)
    assert [label for _, label in bands.labels] == ["G", "X", "W"]

    model = results["tight_binding"].get_model()
    phases = np.exp(2j * np.pi * kpoints @ model.r_vectors.T)
    hamiltonians = np.einsum("kr,rmn->kmn", phases, model.hoppings())
    np.testing.assert_allclose(np.linalg.eigvalsh(hamiltonians), energies, atol=1e-4)


def test_mdrs_model_reproduces_wannier90s_bands(parsed):
    """lead_mdrs ran with wannier90's default use_ws_distance = .true.: the tight-binding output has the shifts of
    aiida_wsvec.dat folded in (a queryable attribute says so) and gives wannier90's own bands to 1e-5 eV."""
    results, process = parsed("lead_mdrs", {"num_wann": 4, "num_iter": 20})
    assert process.exit_status == 0, process.exit_message
    node = results["tight_binding"]
    assert node.mdrs_applied and node.base.attributes.get("mdrs_applied") is True
    bands = results["interpolated_bands"]
    energies = band_energies(node.get_model(), bands.get_kpoints())
    assert np.abs(energies - bands.get_bands()).max() < 1e-5


def test_missing_or_bad_wsvec_file(parsed):
    results, process = parsed("lead_mdrs", {"num_wann": 4, "num_iter": 20}, replace={"aiida_wsvec.dat": None})
    assert process.exit_status == exit_code("ERROR_WSVEC_FILE_MISSING").status
    assert "tight_binding" not in results
    bad = b"## written on 1Jan2026 with use_ws_distance=.true.\n   -3    1    1    1    1\n    3\n    0    0    0\n"
    results, process = parsed("lead_mdrs", {"num_wann": 4, "num_iter": 20}, replace={"aiida_wsvec.dat": bad})
    assert process.exit_status == exit_code("ERROR_WSVEC_FILE_INVALID").status
    assert "announces 3 shifts" in process.exit_message
    assert "tight_binding" not in results


@pytest.mark.parametrize(
    ("case", "label", "fragment"),
    [
        ("lead_werr", "ERROR_WERR_FILE_PRESENT", "num_iter must be positive"),
        ("copper_window", "ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES", "disentanglement window"),
        ("copper_incomplete", "ERROR_OUTPUT_STDOUT_INCOMPLETE", "incomplete"),
        ("oblique_bvectors", "ERROR_BVECTORS", "B1"),
    ],
)
def test_failures_give_their_exit_code_and_no_outputs(parsed, case, label, fragment):
    results, process = parsed(case, {"num_wann": 7})
    assert process.exit_status == exit_code(label).status
    assert fragment in process.exit_message, process.exit_message
    assert results == {}


def test_unconverged_disentanglement_keeps_its_outputs(parsed):
    results, process = parsed("copper_dis_unconverged", {"num_wann": 7, "dis_num_iter": 2})
    assert process.exit_status == exit_code("ERROR_DISENTANGLEMENT_NOT_CONVERGED").status
    assert results["output_parameters"]["disentanglement_converged"] is False
    assert results["tight_binding"].num_wann == 7


def test_missing_stdout(aiida_profile_clean, aiida_localhost):
    node = orm.CalcJobNode(computer=aiida_localhost, process_type="aiida.calculations:orbmag.wannier90")
    node.set_option("resources", {"num_machines": 1, "num_mpiprocs_per_machine": 1})
    node.store()
    retrieved = orm.FolderData()
    retrieved.base.links.add_incoming(node, LinkType.CREATE, "retrieved")
    retrieved.store()
    _, process = Wannier90Parser.parse_from_node(node, store_provenance=False)
    assert process.exit_status == exit_code("ERROR_OUTPUT_STDOUT_MISSING").status


def test_parse_wout_reads_warnings_and_convergence():
    stdout = read_case_file(DATA / "copper_dis_unconverged" / "aiida.wout.gz").decode()
    output = parse_wout(stdout)
    assert output["disentanglement_converged"] is False
    assert len(output["wannier_functions_output"]) == 7
    assert output["warnings"] == ["Warning: Maximum number of disentanglement iterations reached"]
    assert output["wannierisation_converged"] is None  # conv_window not set: wannier90 does not judge it


def _half(path: pathlib.Path) -> bytes:
    content = read_case_file(path)
    return content[: len(content) // 2]


@pytest.mark.parametrize(
    ("case", "replace", "label"),
    [
        ("lead_postproc", {"aiida.nnkp": None}, "ERROR_NNKP_FILE_MISSING"),
        ("lead_mdrs", {"aiida_band.dat": "half"}, "ERROR_BAND_FILES_INVALID"),
        ("lead_mdrs", {"aiida_band.kpt": b"   100\n0.0 0.0 0.0 1.0\n"}, "ERROR_BAND_FILES_INVALID"),
        ("lead_mdrs", {"aiida_band.labelinfo.dat": b"G  x  y\n"}, "ERROR_BAND_FILES_INVALID"),
    ],
    ids=["pp_without_nnkp", "band_dat_cut_in_half", "band_kpt_corrupted", "labels_corrupted"],
)
def test_corrupted_outputs_give_exit_codes_not_exceptions(parsed, case, replace, label):
    """Each used to raise inside the parser (an excepted CalcJob) or to give a BandsData with half its bands."""
    replace = {name: _half(DATA / case / name) if value == "half" else value for name, value in replace.items()}
    results, process = parsed(case, {"num_wann": 4, "num_iter": 20}, replace=replace)
    assert process.exit_status == exit_code(label).status, process.exit_message
    assert "interpolated_bands" not in results


def test_non_utf8_bytes_do_not_break_the_parser(parsed):
    """Stray bytes in .wout and .werr are read as replacement characters: the run's own outcome decides."""
    wout = read_case_file(DATA / "lead_mdrs" / "aiida.wout").replace(b"Final State", b"\xff\xfe Final State", 1)
    results, process = parsed("lead_mdrs", {"num_wann": 4, "num_iter": 20}, replace={"aiida.wout": wout})
    assert process.exit_status == 0, process.exit_message
    results, process = parsed(
        "lead_werr", {"num_wann": 4}, replace={"aiida.werr": b"\xff\xfe num_iter must be positive"}
    )
    assert process.exit_status == exit_code("ERROR_WERR_FILE_PRESENT").status
