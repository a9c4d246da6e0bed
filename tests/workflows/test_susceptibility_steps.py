"""``orbmag.susceptibility`` steps: failed children map to their exit codes, the parameters of chi are checked at
submission, and symmetry_operations given by the user are kept."""

import types

import pytest
from aiida import orm
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager

from aiida_orbmag.demo import PSEUDO_DIR, demo_inputs
from aiida_orbmag.workflows import susceptibility
from aiida_orbmag.workflows.susceptibility import (
    SusceptibilityWorkChain,
    operations_outside,
    validate_susceptibility_parameters,
)

EXIT_CODES = SusceptibilityWorkChain.exit_codes


@pytest.fixture
def process(fake_codes):
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    codes = fake_codes
    process = instantiate_process(get_manager().get_runner(), SusceptibilityWorkChain, **demo_inputs(codes))
    process.setup()
    return process


@pytest.mark.parametrize(
    ("step", "key", "exit_code"),
    [
        ("inspect_relax", "workchain_relax", "ERROR_SUB_PROCESS_FAILED_RELAX"),
        ("inspect_magnetic", "workchain_magnetic", "ERROR_SUB_PROCESS_FAILED_MAGNETIC"),
        ("inspect_wannierization", "workchain_wannierization", "ERROR_SUB_PROCESS_FAILED_WANNIERIZATION"),
    ],
)
def test_failed_child_maps_to_its_exit_code(process, step, key, exit_code, planted_child):
    process.ctx[key] = planted_child(exit_status=401)
    assert getattr(process, step)() == getattr(EXIT_CODES, exit_code)


def test_finished_children_pass(process, planted_child):
    process.ctx.workchain_magnetic = planted_child()
    process.ctx.workchain_wannierization = planted_child()
    assert process.inspect_magnetic() is None and process.inspect_wannierization() is None


IDENTITY = {"rotation": [[1.0, 0.0], [0.0, 1.0]], "time_reversal": False}
PT = {"rotation": [[-1.0, 0.0], [0.0, -1.0]], "time_reversal": True}


def _inputs_with(fake_codes, **parameters):
    inputs = demo_inputs(fake_codes)
    inputs["susceptibility_parameters"] = orm.Dict({**inputs["susceptibility_parameters"].get_dict(), **parameters})
    return inputs


def test_a_bad_kmesh_is_refused_at_submission(fake_codes):
    """The calcfunction's own parser checks the parameters before any DFT runs."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    port = SusceptibilityWorkChain.spec().inputs["susceptibility_parameters"]
    assert port.validator is validate_susceptibility_parameters
    assert validate_susceptibility_parameters(orm.Dict({"chemical_potentials": [0.0], "kmesh": [8, 8]}), None) is None
    message = validate_susceptibility_parameters(orm.Dict({"chemical_potentials": [0.0], "kmesh": [0, 8]}), None)
    assert message.startswith("The susceptibility_parameters are invalid: kmesh must be") and message.endswith(".")
    with pytest.raises(ValueError, match="susceptibility_parameters are invalid"):
        instantiate_process(
            get_manager().get_runner(), SusceptibilityWorkChain, **_inputs_with(fake_codes, kmesh=[0, 8])
        )


class _Calcfunction:
    """Stands in for compute_susceptibility: records the parameters, fails like a refused input."""

    def __init__(self):
        self.parameters = None

    def run_get_node(self, tight_binding, parameters, metadata):
        self.parameters = parameters.get_dict()
        node = types.SimpleNamespace(
            is_finished_ok=False,
            exit_status=204,
            exit_message="The k-mesh is invalid: x.",
            process_label="compute_susceptibility",
        )
        return {}, node


@pytest.fixture
def planted_susceptibility_step(monkeypatch):
    """run_susceptibility's collaborators replaced: a magnetic point group {E, PT} and a recording calcfunction."""
    calcfunction = _Calcfunction()
    # a Dict, as the calcfunction returns: the parameters of chi are built from it by a calcfunction too
    group = orm.Dict({"operations": [IDENTITY, PT], "num_operations": 2})
    monkeypatch.setattr(susceptibility, "magnetic_point_group", lambda structure, moments: group)
    monkeypatch.setattr(susceptibility, "compute_susceptibility", calcfunction)
    return calcfunction


def _with_wannierization(process):
    """A finished-looking Wannierization: a stored 4-band model and a quality report without PT
    (parameters_with_symmetry is a calcfunction: it takes stored nodes; with PT it would set the degeneracy tolerance
    from the model)."""
    from aiida_orbmag.data import TightBindingData
    from aiida_orbmag.physics.reference_models import cri3_like_bilayer

    process.ctx.workchain_wannierization = types.SimpleNamespace(
        inputs=types.SimpleNamespace(structure=None, magnetic_moments=None),
        outputs=types.SimpleNamespace(
            tight_binding=TightBindingData(model=cri3_like_bilayer()).store(),
            quality_report=orm.Dict({"magnetic_group_has_pt": False}).store(),
        ),
    )
    return process


@pytest.mark.parametrize(
    ("given", "used", "warned"),
    [
        (None, [IDENTITY, PT], False),
        ([IDENTITY], [IDENTITY], False),
        ([PT, {**PT, "time_reversal": False}], None, True),
    ],
)
def test_symmetry_operations_given_are_kept(fake_codes, planted_susceptibility_step, given, used, warned):
    """Without symmetry_operations the ground state's group is used; given ones are kept (never overwritten), and
    operations outside that group are reported."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    extra = {} if given is None else {"symmetry_operations": given}
    process = instantiate_process(
        get_manager().get_runner(), SusceptibilityWorkChain, **_inputs_with(fake_codes, **extra)
    )
    reports = []
    process.report = reports.append
    assert _with_wannierization(process).run_susceptibility() is None  # the calcfunction ran in this step
    exit_code = process.inspect_susceptibility()
    assert planted_susceptibility_step.parameters["symmetry_operations"] == (given if used is None else used)
    assert any("not in that group" in report for report in reports) is warned
    assert operations_outside([PT, {**PT, "time_reversal": False}], [IDENTITY, PT]) == [{**PT, "time_reversal": False}]
    # the stand-in fails: its exit status and message reach the work chain's own exit code
    assert exit_code.status == EXIT_CODES.ERROR_SUB_PROCESS_FAILED_SUSCEPTIBILITY.status == 404
    assert exit_code.message.endswith(
        "compute_susceptibility calculation failed with exit status 204: The k-mesh is invalid: x."
    )


@pytest.mark.parametrize(
    ("kmesh", "num_wann", "with_code", "route"),
    [
        ([48, 48], 112, True, "calcfunction"),  # 2.9e7: at or below the protocol's 5e7
        ([120, 120], 112, True, "calcjob"),  # 1.8e8: the balanced protocol on a large model
        ([120, 120], 112, False, "calcfunction"),  # no compute code: the calcfunction whatever the size
    ],
)
def test_route_of_chi(fake_codes, aiida_localhost, kmesh, num_wann, with_code, route):
    """chi runs as the orbmag.compute CalcJob only above compute_calcjob_above (k-points x Wannier functions²) and
    only with a compute code; the choice is reported."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    inputs = _inputs_with(fake_codes, kmesh=kmesh)
    if with_code:
        code = orm.InstalledCode(
            label="fake-aiida-orbmag", computer=aiida_localhost, filepath_executable="/bin/true"
        ).store()
        inputs["compute"] = {"code": code}
    process = instantiate_process(get_manager().get_runner(), SusceptibilityWorkChain, **inputs)
    assert process.inputs.compute_calcjob_above.value == 5e7
    reports = []
    process.report = reports.append
    assert process.susceptibility_route(types.SimpleNamespace(num_wann=num_wann)) == route
    assert susceptibility.susceptibility_cost(kmesh, num_wann) == kmesh[0] * kmesh[1] * num_wann**2
    assert ("no compute code given" in reports[-1]) is not with_code
