"""``orbmag.susceptibility`` inspect steps on planted failed children: each maps to its own exit code."""

import pytest
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager

from aiida_orbmag.demo import PSEUDO_DIR, demo_inputs
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

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
