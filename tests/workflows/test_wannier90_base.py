"""Process handlers of ``orbmag.wannier90.base``, each called on a planted failed child (no executable runs)."""

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine import ProcessHandlerReport
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager

from aiida_orbmag.calculations.wannier90 import Wannier90Calculation
from aiida_orbmag.workflows.wannier90_base import DEFAULTS, Wannier90BaseWorkChain

EXIT_CODES = Wannier90Calculation.exit_codes


@pytest.fixture
def generate_workchain(aiida_profile, wannier90_code):
    """A set-up ``Wannier90BaseWorkChain`` with a planted failed ``orbmag.wannier90`` child of ``exit_code``."""

    def factory(parameters, exit_code):
        structure = orm.StructureData(cell=np.eye(3) * 4.0)
        structure.append_atom(position=(0, 0, 0), symbols="Pb")
        kpoints = orm.KpointsData()
        kpoints.set_kpoints_mesh([2, 2, 2])
        inputs = {
            "wannier90": {
                "code": wannier90_code,
                "structure": structure,
                "parameters": orm.Dict(parameters),
                "kpoints": kpoints,
                "projections": orm.List(["Pb:sp3"]),
                "settings": orm.Dict({"postproc_setup": True}),
            }
        }
        process = instantiate_process(get_manager().get_runner(), Wannier90BaseWorkChain, **inputs)
        process.setup()
        child = orm.CalcJobNode(computer=wannier90_code.computer, process_type="aiida.calculations:orbmag.wannier90")
        child.set_process_state("finished")
        child.set_exit_status(exit_code.status)
        child.set_exit_message(exit_code.message)
        child.base.links.add_incoming(process.node, LinkType.CALL_CALC, "iteration_01")
        child.store()
        process.ctx.children = [child]
        return process, child

    return factory


def test_bvectors_raises_kmesh_tol(generate_workchain):
    process, child = generate_workchain({"num_wann": 4}, EXIT_CODES.ERROR_BVECTORS)
    report = process.handle_bvectors(child)
    assert isinstance(report, ProcessHandlerReport) and report.do_break and report.exit_code.status == 0
    assert process.ctx.inputs.parameters["kmesh_tol"] == pytest.approx(DEFAULTS["kmesh_tol"] * 10)
    report = process.handle_bvectors(child)
    assert process.ctx.inputs.parameters["kmesh_tol"] == pytest.approx(DEFAULTS["kmesh_tol"] * 100)


def test_bvectors_gives_up_at_the_cap(generate_workchain):
    process, child = generate_workchain({"num_wann": 4, "kmesh_tol": 1e-3}, EXIT_CODES.ERROR_BVECTORS)
    report = process.handle_bvectors(child)
    assert report.exit_code.status == Wannier90BaseWorkChain.exit_codes.ERROR_KMESH_TOL_EXHAUSTED.status
    assert "1e-03" in report.exit_code.message or "0.001" in report.exit_code.message


def test_not_enough_states_widens_the_outer_window(generate_workchain):
    parameters = {"num_wann": 4, "num_bands": 8, "dis_win_max": 10.0, "dis_win_min": -5.0}
    process, child = generate_workchain(parameters, EXIT_CODES.ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES)
    report = process.handle_not_enough_states(child)
    assert report.exit_code.status == 0
    step = DEFAULTS["dis_window_step_eV"]
    assert process.ctx.inputs.parameters["dis_win_max"] == pytest.approx(10.0 + step)
    assert process.ctx.inputs.parameters["dis_win_min"] == pytest.approx(-5.0 - step)


def test_not_enough_states_without_window_asks_for_bands(generate_workchain):
    process, child = generate_workchain(
        {"num_wann": 4, "num_bands": 8}, EXIT_CODES.ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES
    )
    report = process.handle_not_enough_states(child)
    assert report.exit_code.status == Wannier90BaseWorkChain.exit_codes.ERROR_NEEDS_MORE_BANDS.status
    assert "dis_win_max" not in process.ctx.inputs.parameters.get_dict()


@pytest.mark.parametrize(
    ("exit_code", "handler", "key"),
    [
        ("ERROR_DISENTANGLEMENT_NOT_CONVERGED", "handle_disentanglement_not_converged", "dis_num_iter"),
        ("ERROR_WANNIERISATION_NOT_CONVERGED", "handle_wannierisation_not_converged", "num_iter"),
    ],
)
def test_unconverged_minimisation_doubles_iterations(generate_workchain, exit_code, handler, key):
    process, child = generate_workchain({"num_wann": 4, "Num_Iter": 300}, getattr(EXIT_CODES, exit_code))
    report = getattr(process, handler)(child)
    assert report.exit_code.status == 0
    expected = 600 if key == "num_iter" else DEFAULTS["dis_num_iter"] * 2
    assert process.ctx.inputs.parameters[key] == expected


def test_slow_disentanglement_loosens_the_tolerance_after_many_iterations(generate_workchain):
    parameters = {"num_wann": 4, "dis_num_iter": DEFAULTS["dis_num_iter_loosen"], "dis_conv_tol": 1e-9}
    process, child = generate_workchain(parameters, EXIT_CODES.ERROR_DISENTANGLEMENT_NOT_CONVERGED)
    assert process.handle_disentanglement_not_converged(child).exit_code.status == 0
    assert process.ctx.inputs.parameters["dis_conv_tol"] == pytest.approx(1e-8)
    assert process.ctx.inputs.parameters["dis_num_iter"] == DEFAULTS["dis_num_iter_loosen"]
    process.handle_disentanglement_not_converged(child)
    assert process.ctx.inputs.parameters["dis_conv_tol"] == pytest.approx(1e-7)
    process.handle_disentanglement_not_converged(child)  # at dis_conv_tol_max: back to more iterations
    assert process.ctx.inputs.parameters["dis_conv_tol"] == pytest.approx(1e-7)
    assert process.ctx.inputs.parameters["dis_num_iter"] == 2 * DEFAULTS["dis_num_iter_loosen"]


def test_iterations_capped(generate_workchain):
    process, child = generate_workchain(
        {"num_wann": 4, "num_iter": DEFAULTS["max_iterations_cap"]}, EXIT_CODES.ERROR_WANNIERISATION_NOT_CONVERGED
    )
    report = process.handle_wannierisation_not_converged(child)
    assert report.exit_code.status == Wannier90BaseWorkChain.exit_codes.ERROR_ITERATIONS_EXHAUSTED.status


@pytest.mark.parametrize(
    "handler",
    [
        "handle_bvectors",
        "handle_not_enough_states",
        "handle_disentanglement_not_converged",
        "handle_wannierisation_not_converged",
    ],
)
def test_handlers_leave_other_failures_alone(generate_workchain, handler):
    """A handler fires only for its own exit code: an incomplete run (404) changes nothing."""
    parameters = {"num_wann": 4, "dis_win_max": 3.0}
    process, child = generate_workchain(parameters, EXIT_CODES.ERROR_OUTPUT_STDOUT_INCOMPLETE)
    assert getattr(process, handler)(child) is None
    assert process.ctx.inputs.parameters.get_dict() == parameters
