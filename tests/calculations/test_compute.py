"""ComputeCalculation (``orbmag.compute``): the real ``aiida-orbmag compute`` run as a job on localhost gives the
calcfunction's output nodes; its input files; its refusals of bad inputs."""

import gzip
import json
import pathlib
import shutil

import numpy as np
import pytest
from aiida import orm
from aiida.common.folders import Folder
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida.plugins import CalculationFactory

from aiida_orbmag.data import TightBindingData
from aiida_orbmag.parsers.compute import ComputeParser
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from tests.retrieved import plant_retrieved

DATA = pathlib.Path(__file__).parents[1] / "parsers" / "data" / "compute"
ComputeCalculation = CalculationFactory("orbmag.compute")
compute_susceptibility = CalculationFactory("orbmag.compute_susceptibility")
C2Y = {"rotation": [[-1, 0], [0, 1]], "time_reversal": False}
#: Every optional output and check at once: extrinsic part (T > 0 only), k-mesh error, Lambda map, symmetry.
PARAMETERS = {
    "chemical_potential_range": [-0.6, 0.6, 61],
    "relative_to_fermi_energy": True,
    "temperatures": [10.0, 300.0],
    "kmesh": [18, 18],
    "relaxation_time_fs": 20.0,
    "kmesh_error": True,
    "lambda_map_mu": 0.1,
    "lambda_map_temperature": 10.0,
    "symmetry_operations": [C2Y],
}


@pytest.fixture
def bilayer(aiida_profile_clean):
    return TightBindingData(model=cri3_like_bilayer().replace(fermi_energy=0.25)).store()


@pytest.fixture
def compute_code(aiida_code_installed):
    """The installed ``aiida-orbmag`` command as a code (the job inherits this process's environment)."""
    path = shutil.which("aiida-orbmag")
    if path is None:
        pytest.fail("aiida-orbmag is not on PATH: pip install -e . puts it there")
    return aiida_code_installed(
        label="aiida-orbmag", filepath_executable=path, default_calc_job_plugin="orbmag.compute"
    )


def assert_same_outputs(job_outputs, calcfunction_outputs):
    """The job's output nodes equal the calcfunction's: labels, arrays (bit for bit: one process, the same model file
    and parameters), units and other attributes, and the summary."""
    labels = {"chi", "alpha", "summary", "extrinsic", "lambda_map"}
    assert set(calcfunction_outputs) == labels and set(job_outputs) == labels | {"retrieved", "remote_folder"}
    for label in labels - {"summary"}:
        job, reference = job_outputs[label], calcfunction_outputs[label]
        assert set(job.get_arraynames()) == set(reference.get_arraynames())
        for name in reference.get_arraynames():
            np.testing.assert_array_equal(job.get_array(name), reference.get_array(name))
        assert job.base.attributes.all == reference.base.attributes.all
    assert job_outputs["summary"].get_dict() == calcfunction_outputs["summary"].get_dict()


def test_job_gives_the_calcfunction_outputs(bilayer, compute_code):
    parameters = orm.Dict(PARAMETERS)
    reference, calcfunction = compute_susceptibility.run_get_node(tight_binding=bilayer, parameters=parameters)
    assert calcfunction.is_finished_ok, calcfunction.exit_message
    builder = ComputeCalculation.get_builder()
    builder.code = compute_code
    builder.tight_binding = bilayer
    builder.parameters = parameters
    builder.metadata.options.max_wallclock_seconds = 300
    results, node = run_get_node(builder)
    assert node.is_finished_ok, (node.exit_status, node.exit_message)
    assert_same_outputs(results, reference)


def test_input_files_and_command_line(bilayer, compute_code, tmp_path):
    """The node's model file as it is, the absolute mu (Fermi energy added) as exact text, the symmetry file, and a
    command line with every parameter and --processes."""
    inputs = {"code": compute_code, "tight_binding": bilayer, "parameters": orm.Dict(PARAMETERS)}
    process = instantiate_process(get_manager().get_runner(), ComputeCalculation, processes=orm.Int(2), **inputs)
    calc_info = process.prepare_for_submission(Folder(str(tmp_path)))
    assert calc_info.local_copy_list == [(bilayer.uuid, "model.h5", "model.h5")]
    assert sorted(calc_info.retrieve_list) == ["aiida.err", "aiida.out", "result.json"]
    mu = np.array((tmp_path / "mu.txt").read_text().split(), dtype=float)
    np.testing.assert_array_equal(mu, np.linspace(-0.6, 0.6, 61) + 0.25)
    assert json.loads((tmp_path / "symmetry.json").read_text()) == [C2Y]
    arguments = calc_info.codes_info[0].cmdline_params
    assert arguments[:4] == ["compute", "model.h5", "--mu-file", "mu.txt"]
    text = " ".join(arguments)
    for expected in ("--temperature 10.0 --temperature 300.0", "--kmesh 18 18", "--relaxation-time 20.0",
                     "--kmesh-error", "--processes 2", "--symmetry symmetry.json", "--lambda-map-mu 0.35",
                     "--lambda-map-temperature 10.0", "--json result.json", "--metric-form analytic"):  # fmt: skip
        assert expected in text
    assert "--tb-approximation" not in text


@pytest.mark.parametrize(
    ("parameters", "fermi_energy", "message"),
    [
        ({"chemical_potentials": [0.0], "kmesh": [0, 4]}, 0.25, "The parameters are invalid: kmesh must be"),
        ({"chemical_potentials": [0.0], "kmesh": [4, 4], "relative_to_fermi_energy": True}, None, "no Fermi energy"),
    ],
)
def test_bad_inputs_are_refused_at_submission(aiida_profile_clean, compute_code, parameters, fermi_energy, message):
    model = TightBindingData(model=cri3_like_bilayer().replace(fermi_energy=fermi_energy)).store()
    inputs = {"code": compute_code, "tight_binding": model, "parameters": orm.Dict(parameters)}
    with pytest.raises(ValueError, match=message):
        instantiate_process(get_manager().get_runner(), ComputeCalculation, **inputs)


def parsed(files: dict, bilayer):
    """Parse retrieved ``files`` (name -> bytes) as if a ComputeCalculation on ``bilayer`` had retrieved them."""
    node = orm.CalcJobNode(computer=bilayer.computer or orm.load_computer("localhost"))
    node.set_process_type("aiida.calculations:orbmag.compute")
    node.base.links.add_incoming(bilayer, LinkType.INPUT_CALC, "tight_binding")
    node.set_option("resources", {"num_machines": 1, "num_mpiprocs_per_machine": 1})
    node.store()
    plant_retrieved(node, files)
    return ComputeParser.parse_from_node(node, store_provenance=False)


def test_parser_on_a_real_output_gives_the_calcfunction_nodes(bilayer, aiida_localhost):
    reference, _ = compute_susceptibility.run_get_node(tight_binding=bilayer, parameters=orm.Dict(PARAMETERS))
    document = gzip.decompress((DATA / "finished" / "result.json.gz").read_bytes())
    results, call = parsed({"result.json": document, "aiida.err": b""}, bilayer)
    assert call.is_finished_ok
    labels = {"chi", "alpha", "summary", "extrinsic", "lambda_map"}
    assert set(results) == labels
    for label in labels - {"summary"}:  # a file written on another machine: equal to round-off
        for name in reference[label].get_arraynames():
            expected = reference[label].get_array(name)
            np.testing.assert_allclose(results[label].get_array(name), expected, rtol=1e-10, atol=1e-14)
        assert results[label].base.attributes.get("units") == reference[label].base.attributes.get("units")
    assert results["summary"]["symmetry"]["intrinsic_allowed"] == {"x": True, "y": False}
    assert results["summary"]["kmesh"] == reference["summary"]["kmesh"]


@pytest.mark.parametrize(
    ("files", "status", "fragment"),
    [
        ({"aiida.out": b""}, 301, "compute wrote no result.json and no error message"),
        ({"result.json": b'{"mu_eV": [0.0', "aiida.err": b""}, 302, "cannot be read"),
        ({"result.json": b'{"mu_eV": [0.0]}', "aiida.err": b""}, 302, "lacks or garbles"),
        ({"aiida.err": (DATA / "failed" / "aiida.err").read_bytes()}, 310, "failed: The Fermi-surface metric form"),
    ],
)
def test_parser_exit_codes(bilayer, aiida_localhost, files, status, fragment):
    _, call = parsed(files, bilayer)
    assert call.exit_status == status and fragment in call.exit_message
    assert call.exit_message.endswith(".") and ".." not in call.exit_message
