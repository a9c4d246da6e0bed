"""``aiida-orbmag codes setup``: the chain's executables as codes on localhost, registered once."""

import shutil

import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.codes import LOCALHOST_CODES, PREPEND_TEXT, localhost_code


@pytest.mark.skipif(shutil.which("pw.x") is None, reason="Quantum ESPRESSO is not installed")
def test_codes_setup_is_idempotent(aiida_profile):
    runner = CliRunner()
    first = runner.invoke(cli, ["codes", "setup"])
    assert first.exit_code == 0, first.output
    codes = {label: orm.load_code(f"{label}@localhost") for label in LOCALHOST_CODES}
    assert str(codes["pw"].filepath_executable) == shutil.which("pw.x")
    assert codes["wannier90"].default_calc_job_plugin == "orbmag.wannier90"
    assert all(code.prepend_text == PREPEND_TEXT for code in codes.values())
    second = runner.invoke(cli, ["codes", "setup"])
    assert second.exit_code == 0 and {label: localhost_code(label).pk for label in codes} == {
        label: code.pk for label, code in codes.items()
    }
    assert "pw@localhost" in second.output


def test_unknown_code_is_refused(aiida_profile):
    with pytest.raises(ValueError, match="Unknown code"):
        localhost_code("vasp")
