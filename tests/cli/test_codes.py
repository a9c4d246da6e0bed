"""``aiida-orbmag codes setup``: the chain's executables as codes on localhost, registered once."""

import shutil

import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.codes import LOCALHOST_CODES, PREPEND_TEXT, localhost_code


@pytest.mark.skipif(shutil.which("pw.x") is None, reason="Quantum ESPRESSO is not installed")
def test_codes_setup_is_idempotent(aiida_profile):
    def existing(label):
        query = orm.QueryBuilder().append(orm.Computer, filters={"label": "localhost"}, tag="computer")
        query.append(orm.InstalledCode, with_computer="computer", filters={"label": label})
        return query.first(flat=True)

    before = {label: existing(label) for label in LOCALHOST_CODES}  # other tests may have made some already
    runner = CliRunner()
    first = runner.invoke(cli, ["codes", "setup"])
    assert first.exit_code == 0, first.output
    codes = {label: orm.load_code(f"{label}@localhost") for label in LOCALHOST_CODES}
    assert str(codes["pw"].filepath_executable) == shutil.which("pw.x")
    for label, code in codes.items():
        if before[label] is None:  # made by the command: with the plugin and the prepend text it needs
            assert code.prepend_text == PREPEND_TEXT and code.default_calc_job_plugin == LOCALHOST_CODES[label][1]
        else:  # found: reused as it is
            assert code.pk == before[label].pk
    second = runner.invoke(cli, ["codes", "setup"])
    assert second.exit_code == 0 and "pw@localhost" in second.output
    assert {label: localhost_code(label).pk for label in codes} == {label: code.pk for label, code in codes.items()}


def test_unknown_code_is_refused(aiida_profile):
    with pytest.raises(ValueError, match="Unknown code"):
        localhost_code("vasp")
