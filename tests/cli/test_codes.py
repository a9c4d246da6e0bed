"""``aiida-orbmag codes setup``: the chain's executables as codes on localhost, registered once."""

import shutil

import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.codes import CHAIN_CODES, PREPEND_TEXT, localhost_code


@pytest.mark.skipif(shutil.which("pw.x") is None, reason="Quantum ESPRESSO is not installed")
def test_codes_setup_is_idempotent(aiida_profile):
    def existing(label):
        query = orm.QueryBuilder().append(orm.Computer, filters={"label": "localhost"}, tag="computer")
        query.append(orm.InstalledCode, with_computer="computer", filters={"label": label})
        return query.first(flat=True)

    before = {label: existing(label) for label in CHAIN_CODES}  # other tests may have made some already
    runner = CliRunner()
    first = runner.invoke(cli, ["codes", "setup"])
    assert first.exit_code == 0, first.output
    codes = {label: orm.load_code(f"{label}@localhost") for label in CHAIN_CODES}
    for label, code in codes.items():
        if before[label] is None:  # made by the command: the executable on PATH, the plugin and the prepend text
            assert str(code.filepath_executable) == shutil.which(CHAIN_CODES[label][0])
            assert code.prepend_text == PREPEND_TEXT and code.default_calc_job_plugin == CHAIN_CODES[label][1]
        else:  # found: reused as it is
            assert code.pk == before[label].pk
    second = runner.invoke(cli, ["codes", "setup"])
    assert second.exit_code == 0 and "pw@localhost" in second.output
    assert {label: localhost_code(label).pk for label in codes} == {label: code.pk for label, code in codes.items()}


def test_unknown_code_is_refused(aiida_profile):
    with pytest.raises(ValueError, match="Unknown code"):
        localhost_code("vasp")


@pytest.mark.skipif(shutil.which("wannier90.x") is None, reason="Wannier90 is not installed")
def test_codes_setup_on_another_computer_with_paths(aiida_profile, aiida_computer_local):
    """Any configured computer: the codes are labelled @ it, given paths are used, and a serial executable (Debian's
    wannier90.x is not linked against MPI) is marked with_mpi=False; pw.x (MPI-linked) is left to the job options."""
    computer = aiida_computer_local(label="cluster-like")
    runner = CliRunner()
    args = ["codes", "setup", "--computer", "cluster-like", "--wannier90", shutil.which("wannier90.x")]
    first = runner.invoke(cli, [*args, "--prepend-text", "module load qe"])
    assert first.exit_code == 0, first.output
    assert "wannier90@cluster-like" in first.output and "serial" in first.output
    wannier90 = orm.load_code("wannier90@cluster-like")
    assert wannier90.computer.pk == computer.pk and wannier90.prepend_text == "module load qe"
    assert wannier90.with_mpi is False
    assert orm.load_code("pw@cluster-like").with_mpi is None
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and orm.load_code("wannier90@cluster-like").pk == wannier90.pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--computer", "nowhere"], "No computer 'nowhere'"),
        (["--pw", "relative/pw.x"], "must be absolute"),
        (["--pw", "{plain_file}"], "is not an executable file"),
    ],
)
def test_codes_setup_refuses_bad_input_in_one_line(aiida_profile, aiida_computer_local, tmp_path, args, message):
    aiida_computer_local(label="empty-computer")
    plain_file = tmp_path / "pw.x"
    plain_file.write_text("not a program")
    args = [arg.format(plain_file=plain_file) for arg in args]
    computer_args = [] if "--computer" in args else ["--computer", "empty-computer"]
    result = CliRunner().invoke(cli, ["codes", "setup", *computer_args, *args])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert (
        not orm.QueryBuilder()
        .append(orm.Computer, filters={"label": "empty-computer"}, tag="c")
        .append(orm.InstalledCode, with_computer="c", filters={"label": "pw"})
        .count()
    )


def test_an_existing_code_is_never_silently_repointed(aiida_profile, aiida_computer_local):
    aiida_computer_local(label="repoint")
    first = CliRunner().invoke(cli, ["codes", "setup", "--computer", "repoint", "--pw", "/bin/true"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(cli, ["codes", "setup", "--computer", "repoint", "--pw", "/bin/false"])
    assert second.exit_code == 1 and "exists and runs /bin/true" in second.output
    assert str(orm.load_code("pw@repoint").filepath_executable) == "/bin/true"
