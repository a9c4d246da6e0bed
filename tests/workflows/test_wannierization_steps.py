"""``orbmag.wannierization`` step logic on planted children: validation, failure paths, band counts, windows."""

import pathlib

import numpy as np
import pytest
from aiida import orm
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.workflows.wannierization import WannierizationWorkChain, validate_inputs

PSEUDO = pathlib.Path("/usr/share/espresso/pseudo/Ni.rel-pbe-nd-rrkjus.UPF")
EXIT_CODES = WannierizationWorkChain.exit_codes


@pytest.fixture
def inputs(aiida_profile, aiida_localhost, nickel_monolayer, pw_inputs):
    if not PSEUDO.is_file():
        pytest.skip("Debian's quantum-espresso-data is not installed")

    def code(label, plugin):
        return orm.InstalledCode(
            label=label, computer=aiida_localhost, filepath_executable="/bin/true", default_calc_job_plugin=plugin
        ).store()

    pseudo = UpfData(PSEUDO)
    grid = orm.KpointsData()
    grid.set_kpoints_mesh([2, 2, 1])
    remote = orm.RemoteData(computer=aiida_localhost, remote_path="/tmp").store()
    return {
        "structure": nickel_monolayer(),
        "parent_folder": remote,
        "nscf": pw_inputs(code("pw-steps", "quantumespresso.pw"), pseudo, "nscf"),
        "pw2wannier90": {"code": code("p2w-steps", "quantumespresso.pw2wannier90")},
        "wannier90": {"wannier90": {"code": code("w90-steps", "orbmag.wannier90")}},
        "kpoints": grid,
    }


def _process(inputs):
    process = instantiate_process(get_manager().get_runner(), WannierizationWorkChain, **inputs)
    assert process.setup() is None
    return process


def _bands(energies):
    bands = orm.BandsData()
    bands.set_kpoints(np.zeros((len(energies), 3)))
    bands.set_bands(np.asarray(energies))
    return bands


def test_setup_counts_ni_s_and_d(inputs):
    choice = _process(inputs).ctx.projections
    assert choice.lines == ["Ni:s;d"] and choice.num_wann == 12 and choice.num_excluded == 0
    assert choice.num_electrons == 10


def test_validation_of_the_scf_source_and_noncollinearity(inputs, pw_inputs):
    builder_inputs = dict(inputs)
    assert validate_inputs(builder_inputs, None) is None
    builder_inputs["scf"] = {}
    assert "exactly one of `scf`" in validate_inputs(builder_inputs, None)
    collinear = pw_inputs(inputs["nscf"]["pw"]["code"], inputs["nscf"]["pw"]["pseudos"]["Ni"], "nscf")
    parameters = collinear["pw"]["parameters"].get_dict()
    parameters["SYSTEM"]["noncolin"] = False
    collinear["pw"]["parameters"] = orm.Dict(parameters)
    assert "spinor model" in validate_inputs({**inputs, "nscf": collinear}, None)


@pytest.mark.parametrize(
    ("step", "key", "exit_code"),
    [
        ("inspect_nscf", "workchain_nscf", "ERROR_SUB_PROCESS_FAILED_NSCF"),
        ("inspect_wannier90_pp", "calculation_pp", "ERROR_SUB_PROCESS_FAILED_WANNIER90_PP"),
        ("inspect_pw2wannier90", "calculation_pw2wannier90", "ERROR_SUB_PROCESS_FAILED_PW2WANNIER90"),
        ("inspect_wannier90", "workchain_wannier90", "ERROR_SUB_PROCESS_FAILED_WANNIER90"),
        ("inspect_bands", "workchain_bands", "ERROR_SUB_PROCESS_FAILED_BANDS"),
        ("inspect_scf", "workchain_scf", "ERROR_SUB_PROCESS_FAILED_SCF"),
    ],
)
def test_failed_child_maps_to_its_exit_code(inputs, step, key, exit_code, planted_child):
    process = _process(inputs)
    process.ctx[key] = planted_child(exit_status=300)
    assert getattr(process, step)() == getattr(EXIT_CODES, exit_code)


def test_nscf_without_fermi_energy(inputs, planted_child):
    process = _process(inputs)
    process.ctx.workchain_nscf = planted_child(
        outputs={"output_parameters": orm.Dict({}), "output_band": _bands([[0.0]])}
    )
    assert process.inspect_nscf() == EXIT_CODES.ERROR_NO_FERMI_ENERGY


def test_nscf_with_too_few_bands_gives_the_window_exit_code(inputs, planted_child):
    process = _process(inputs)
    energies = np.tile(np.linspace(-5, 5, 10), (4, 1))  # 10 bands < num_wann = 12
    outputs = {"output_parameters": orm.Dict({"fermi_energy": 0.0}), "output_band": _bands(energies)}
    process.ctx.workchain_nscf = planted_child(outputs=outputs)
    exit_code = process.inspect_nscf()
    assert exit_code.status == EXIT_CODES.ERROR_WINDOWS.status and "compute more bands" in exit_code.message


def test_nscf_bands_set_the_wannier90_parameters(inputs, planted_child):
    process = _process(inputs)
    # 16 bands 2/3 eV apart that disperse by 1 eV, so that no group of them is isolated
    energies = np.linspace(-6, 4, 16)[None, :] + np.linspace(0.0, 1.0, 4)[:, None]
    outputs = {"output_parameters": orm.Dict({"fermi_energy": -1.0}), "output_band": _bands(energies)}
    process.ctx.workchain_nscf = planted_child(outputs=outputs)
    assert process.inspect_nscf() is None
    parameters = process._wannier90_parameters()
    assert parameters["num_bands"] == 16 and parameters["num_wann"] == 12 and "exclude_bands" not in parameters
    assert parameters["dis_froz_max"] == pytest.approx(0.0)  # E_F + 1 eV fits below the 13th band (at 2 eV)
    assert parameters["spinors"] is True and parameters["fermi_energy"] == -1.0
    assert parameters["dis_conv_tol"] == 1e-8  # the work chain's default, wannier90's 1e-10 stalls on slabs


def test_projections_that_cannot_be_chosen_are_an_input_error(inputs):
    process = instantiate_process(
        get_manager().get_runner(), WannierizationWorkChain, **{**inputs, "projections": orm.List(["Fe:d"])}
    )
    exit_code = process.setup()
    assert exit_code.status == EXIT_CODES.ERROR_INVALID_PROJECTIONS.status == 201
    assert exit_code.message == (
        "The projections cannot be chosen from the pseudopotentials: The projection line 'Fe:d' names Fe, which is "
        "neither a kind nor an element here."
    )
