"""orbmag.compute_susceptibility: the library's numbers with provenance, and exit codes for bad inputs."""

import gzip
import pathlib

import h5py
import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.plugins import CalculationFactory

from aiida_orbmag.calcfunctions.susceptibility import EXIT_CODES
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.io.hdf5 import save_model
from aiida_orbmag.physics import response
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.reference_models import CRI3_LIKE_CHI_HALF_FILLING, cri3_like_bilayer

compute_susceptibility = CalculationFactory("orbmag.compute_susceptibility")
LEAD_TB = pathlib.Path(__file__).parents[1] / "parsers" / "data" / "lead_normal" / "aiida_tb.dat.gz"
C2Y = {"rotation": [[-1, 0], [0, 1]], "time_reversal": False}


@pytest.fixture
def bilayer(aiida_profile_clean):
    return TightBindingData(model=cri3_like_bilayer().replace(fermi_energy=0.25)).store()


def run(tight_binding, **parameters):
    return compute_susceptibility.run_get_node(tight_binding=tight_binding, parameters=orm.Dict(parameters))


def test_reference_chi_with_provenance(bilayer):
    results, node = run(bilayer, chemical_potentials=[0.0], kmesh=[24, 24])
    assert node.is_finished_ok
    chi = results["chi"]
    assert chi.get_array("chi_reduced")[0, 0, 0] == pytest.approx(CRI3_LIKE_CHI_HALF_FILLING[0], rel=1e-8)
    library = response.compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (24, 24))
    np.testing.assert_array_equal(chi.get_array("chi"), library.chi_nm_per_ohm)
    np.testing.assert_array_equal(results["alpha"].get_array("alpha"), library.alpha_na_nm_per_k)
    assert chi.base.attributes.get("units")["chi"] == "nm/Ohm"
    assert results["alpha"].base.attributes.get("units")["alpha"] == "nA nm/K"

    # provenance: every output was created by this calcfunction, from exactly these two stored inputs
    assert node.process_type == "aiida.calculations:orbmag.compute_susceptibility"
    inputs = {link.link_label: link.node.pk for link in node.base.links.get_incoming(link_type=LinkType.INPUT_CALC)}
    assert inputs["tight_binding"] == bilayer.pk and set(inputs) == {"tight_binding", "parameters"}
    assert set(results) == {"chi", "alpha", "summary"}
    assert all(output.creator.pk == node.pk for output in results.values())


def test_summary(bilayer):
    results, _ = run(
        bilayer,
        chemical_potential_range=[-1.5, 1.5, 301],
        temperatures=[0.0, 300.0],
        kmesh=[24, 24],
        symmetry_operations=[C2Y],
    )
    summary = results["summary"].get_dict()
    chi = results["chi"].get_array("chi")
    largest = summary["largest_chi"]
    assert largest["magnitude_nm_per_ohm"] == pytest.approx(np.linalg.norm(chi, axis=-1).max(), rel=1e-12)
    t_index, mu_index = np.unravel_index(np.argmax(np.linalg.norm(chi, axis=-1)), chi.shape[:2])
    assert largest["mu_eV"] == pytest.approx(results["chi"].get_array("mu")[mu_index], abs=1e-12)
    assert largest["temperature_K"] == [0.0, 300.0][t_index]
    # Mott identity between the T = 0 chi and the 300 K alpha of the same run (mu step 0.39 k_B T)
    assert summary["mott_identity"]["evaluated"] is True
    assert summary["mott_identity"]["eta_step_over_kT"] == pytest.approx(0.01 / (8.617333e-5 * 300), rel=1e-6)
    assert summary["mott_identity"]["relative_residual"] < 0.04
    # C2y survives the layered antiferromagnet: chi_y is forbidden, and the computed chi_y is zero
    assert summary["symmetry"]["intrinsic_allowed"] == {"x": True, "y": False}
    assert summary["symmetry"]["intrinsic_forbidden_is_small"] is True
    assert summary["symmetry"]["intrinsic_forbidden_fraction"] < 1e-12  # the model keeps C2y exactly
    assert summary["symmetry"]["intrinsic_forbidden_over_allowed"] < 1e-12
    scale = summary["symmetry"]["intrinsic_uncancelled_scale_nm_per_ohm"]
    assert scale[1] > 0  # chi_y cancels between k and C2y k, it is not small point by point
    assert summary["kmesh"] == [24, 24]
    assert summary["conventions"]["position_operator"] == "full"
    assert summary["aiida_orbmag_version"]


def test_a_symmetry_the_model_lacks_is_flagged(bilayer):
    """Negative control: claim C2x (in-plane action of M_y), which the layered antiferromagnet does not have, so that
    chi_x, which is not small, is declared forbidden: the report must say so, with a fraction of order one."""
    c2x = {"rotation": [[1, 0], [0, -1]], "time_reversal": False}
    results, node = run(bilayer, chemical_potentials=[0.0], kmesh=[24, 24], symmetry_operations=[c2x])
    assert node.is_finished_ok
    report = results["summary"]["symmetry"]
    assert report["intrinsic_allowed"] == {"x": False, "y": True}
    chi_x = results["chi"].get_array("chi")[0, 0, 0]
    assert report["intrinsic_largest_forbidden_nm_per_ohm"] == pytest.approx(abs(chi_x), rel=1e-12)
    # |chi_x| <= S_x (triangle inequality); the reference model's chi_x is a sizeable part of it
    assert 0.01 < report["intrinsic_forbidden_fraction"] <= 1.0
    assert report["intrinsic_forbidden_is_small"] is False


def test_mott_residual_shrinks_with_a_finer_mu_grid(bilayer):
    residuals = []
    for num in (301, 1201):
        results, _ = run(bilayer, chemical_potential_range=[-1.5, 1.5, num], temperatures=[0.0, 300.0], kmesh=[24, 24])
        residuals.append(results["summary"]["mott_identity"]["relative_residual"])
    assert residuals[1] < 0.01 < residuals[0] / 2  # 0.026 -> 0.0066 on this model and mesh


def test_relative_to_fermi_energy(bilayer):
    absolute, _ = run(bilayer, chemical_potentials=[0.3], kmesh=[12, 12])
    relative, _ = run(bilayer, chemical_potentials=[0.05], relative_to_fermi_energy=True, kmesh=[12, 12])
    np.testing.assert_allclose(relative["chi"].get_array("mu"), [0.3])
    np.testing.assert_array_equal(relative["chi"].get_array("chi"), absolute["chi"].get_array("chi"))


def test_optional_outputs(bilayer):
    results, _ = run(
        bilayer,
        chemical_potentials=[0.3],
        temperatures=[30.0],
        kmesh=[12, 12],
        relaxation_time_fs=10.0,
        lambda_map_mu=0.0,
    )
    assert {"extrinsic", "lambda_map"} <= set(results)
    library = response.compute_susceptibility(cri3_like_bilayer(), [0.3], [30.0], (12, 12), relaxation_time_fs=10.0)
    np.testing.assert_array_equal(results["extrinsic"].get_array("chi"), library.chi_extrinsic_nm_per_ohm)
    assert results["extrinsic"].base.attributes.get("relaxation_time_fs") == 10.0
    lam = results["lambda_map"]
    assert lam.get_array("kpoints").shape == (144, 2) and lam.get_array("lambda").shape == (144, 2)
    # the zone sum of the map over N_k A_cell is chi at the map's mu (Xiao et al. Eq. 8): here in the gap
    chi_gap, _ = run(bilayer, chemical_potentials=[0.0], kmesh=[12, 12])
    integral = lam.get_array("lambda").sum(axis=0) / (144 * cri3_like_bilayer().cell_area)
    np.testing.assert_allclose(integral, chi_gap["chi"].get_array("chi_reduced")[0, 0], rtol=1e-10, atol=1e-15)
    assert lam.base.attributes.get("mu_eV") == 0.0


def _lead_model(tmp_path) -> TightBindingData:
    path = tmp_path / "aiida_tb.dat"
    path.write_bytes(gzip.decompress(LEAD_TB.read_bytes()))
    return TightBindingData.from_tb_file(path).store()


def _nan_model(tmp_path) -> TightBindingData:
    path = tmp_path / "model.h5"
    save_model(cri3_like_bilayer(), path)
    with h5py.File(path, "r+") as handle:
        handle["hamiltonian"][0, 0, 0] = np.nan
    return TightBindingData.from_hdf5_file(path, validate=False).store()


@pytest.mark.parametrize(
    ("model", "parameters", "label", "fragment"),
    [
        ("bilayer", {"chemical_potentials": [0.0], "kmesh": [4, 4], "mu": 1}, "ERROR_INVALID_PARAMETERS", "['mu']"),
        ("bilayer", {"chemical_potentials": [], "kmesh": [4, 4]}, "ERROR_EMPTY_CHEMICAL_POTENTIALS", "non-empty"),
        ("bilayer", {"kmesh": [4, 4]}, "ERROR_EMPTY_CHEMICAL_POTENTIALS", "exactly one of"),
        ("bilayer", {"chemical_potential_range": [0, 1, 0], "kmesh": [4, 4]}, "ERROR_EMPTY_CHEMICAL_POTENTIALS", "num"),
        (
            "bilayer",
            {"chemical_potentials": [0], "temperatures": [-1], "kmesh": [4, 4]},
            "ERROR_INVALID_TEMPERATURES",
            ">= 0 K",
        ),
        ("bilayer", {"chemical_potentials": [0], "kmesh": [4]}, "ERROR_INVALID_KMESH", "two positive integers"),
        (
            "bilayer",
            {"chemical_potentials": [0], "kmesh": [4, 4], "symmetry_operations": [{"rotation": [[2, 0]]}]},
            "ERROR_INVALID_SYMMETRY",
            "operation 0",
        ),
        (
            "bilayer",
            {"chemical_potentials": [0], "kmesh": [4, 4], "metric_form": "other"},
            "ERROR_INVALID_PARAMETERS",
            "metric_form",
        ),
        (
            "bilayer",
            {"chemical_potentials": [0], "kmesh": [4, 4], "relaxation_time_fs": -1.0},
            "ERROR_INVALID_PARAMETERS",
            "> 0",
        ),
        # hardening: strings and booleans are not numbers, misspelled operation keys are not ignored, and a mesh or
        # a mu grid too large to finish is refused up front with its cost
        ("bilayer", {"chemical_potentials": ["0.1"], "kmesh": [4, 4]}, "ERROR_EMPTY_CHEMICAL_POTENTIALS", "strings"),
        (
            "bilayer",
            {"chemical_potentials": [0], "temperatures": [True], "kmesh": [4, 4]},
            "ERROR_INVALID_TEMPERATURES",
            "booleans",
        ),  # fmt: skip
        ("bilayer", {"chemical_potentials": [0], "kmesh": [True, True]}, "ERROR_INVALID_KMESH", "two positive"),
        (
            "bilayer",
            {
                "chemical_potentials": [0],
                "kmesh": [4, 4],
                "symmetry_operations": [{"rotation": [[1, 0], [0, 1]], "timereversal": True}],
            },
            "ERROR_INVALID_SYMMETRY",
            "['timereversal']",
        ),
        ("bilayer", {"chemical_potentials": [0], "kmesh": [100000, 100000]}, "ERROR_INVALID_KMESH", "hours"),
        (
            "bilayer",
            {"chemical_potential_range": [0, 1, 100000000000], "kmesh": [4, 4]},
            "ERROR_EMPTY_CHEMICAL_POTENTIALS",
            "num <= 100000",
        ),
        ("nan", {"chemical_potentials": [0], "kmesh": [4, 4]}, "ERROR_INVALID_MODEL", "NaN"),
        ("lead", {"chemical_potentials": [0], "kmesh": [4, 4]}, "ERROR_MODEL_NOT_TWO_DIMENSIONAL", "a3"),
        (
            "no_position",
            {"chemical_potentials": [0], "kmesh": [4, 4]},
            "ERROR_POSITION_MATRIX_MISSING",
            "tight_binding_approximation",
        ),
        (
            "no_fermi",
            {"chemical_potentials": [0], "kmesh": [4, 4], "relative_to_fermi_energy": True},
            "ERROR_FERMI_ENERGY_UNKNOWN",
            "Fermi energy",
        ),
    ],
)
def test_invalid_inputs_give_exit_codes(aiida_profile_clean, tmp_path, model, parameters, label, fragment):
    nodes = {
        "bilayer": lambda: TightBindingData(model=cri3_like_bilayer()).store(),
        "nan": lambda: _nan_model(tmp_path),
        "lead": lambda: _lead_model(tmp_path),
        "no_position": lambda: TightBindingData(model=cri3_like_bilayer().replace(position=None)).store(),
        "no_fermi": lambda: TightBindingData(model=cri3_like_bilayer()).store(),
    }
    tight_binding = nodes[model]()
    results, node = compute_susceptibility.run_get_node(tight_binding=tight_binding, parameters=orm.Dict(parameters))
    assert node.exit_status == EXIT_CODES[label].status
    assert fragment in node.exit_message, node.exit_message
    assert results == {}
    assert orm.load_node(tight_binding.pk).num_wann == tight_binding.num_wann  # the input is untouched


def test_tight_binding_approximation_without_position_matrix(aiida_profile_clean):
    node = TightBindingData(model=cri3_like_bilayer().replace(position=None)).store()
    results, process = run(node, chemical_potentials=[0.0], kmesh=[12, 12], tight_binding_approximation=True)
    assert process.is_finished_ok
    diagonal = Conventions(position_operator="diagonal")
    library = response.compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (12, 12), conventions=diagonal)
    np.testing.assert_array_equal(results["chi"].get_array("chi"), library.chi_nm_per_ohm)


def test_exit_codes_are_unique_and_full_sentences():
    statuses = [code.status for code in EXIT_CODES.values()]
    assert len(statuses) == len(set(statuses))
    for code in EXIT_CODES.values():
        assert code.message[0].isupper() and (code.message.endswith(".") or code.message.endswith("{reason}"))


def test_kmesh_error_is_stored_with_the_result(bilayer):
    """With kmesh_error the chi and alpha nodes carry the library's error estimate (same units), and the summary its
    largest value; on this model the estimate at 16x16 bounds the actual error against a 96x96 reference."""
    parameters = {"chemical_potentials": [0.3], "temperatures": [300.0], "kmesh": [16, 16], "kmesh_error": True}
    results, node = run(bilayer, **parameters)
    assert node.is_finished_ok
    library = response.compute_susceptibility(cri3_like_bilayer(), [0.3], [300.0], (16, 16), kmesh_error=True)
    chi = results["chi"]
    np.testing.assert_array_equal(chi.get_array("chi_kmesh_error"), library.chi_kmesh_error_nm_per_ohm)
    np.testing.assert_array_equal(
        results["alpha"].get_array("alpha_kmesh_error"), library.alpha_kmesh_error_na_nm_per_k
    )
    assert chi.base.attributes.get("units")["chi_kmesh_error"] == "nm/Ohm"
    summary = results["summary"].get_dict()
    assert summary["kmesh_error"]["coarse_kmesh"] == [8, 8]
    assert summary["kmesh_error"]["max_chi_error_nm_per_ohm"] == pytest.approx(chi.get_array("chi_kmesh_error").max())
    reference = response.compute_susceptibility(cri3_like_bilayer(), [0.3], [300.0], (96, 96)).chi_nm_per_ohm
    actual = np.abs(chi.get_array("chi") - reference)
    assert np.all(actual <= chi.get_array("chi_kmesh_error") + 1e-12 * np.abs(reference).max())
    plain, _ = run(bilayer, **{**parameters, "kmesh_error": False})
    assert "chi_kmesh_error" not in plain["chi"].get_arraynames() and "kmesh_error" not in plain["summary"].get_dict()
