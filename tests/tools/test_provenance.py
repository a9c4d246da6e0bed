"""`aiida-orbmag provenance`: the chain of creators from chi back to the structure and pseudopotentials, --check on a
complete and on a broken graph, and the same answer after `verdi archive create` / `import` into a fresh profile."""

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from aiida_orbmag.cli.main import cli
from aiida_orbmag.tools.provenance import chain_checks, provenance_report


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_check_passes_on_a_complete_chain(make_planted_chain):
    chain = make_planted_chain()
    result = _run("provenance", chain.pk, "--check")
    assert result.exit_code == 0, result.output
    assert all(ok for _, ok in chain_checks(chain.outputs.chi))
    for expected in (
        "interlayer_antiferromagnetic (lowest energy)",
        "md5 ",
        "orbmag/demo/Ni/FR",
        "6.7MaX",
        "quantumespresso.pw2wannier90",
        "magnetic_point_group",
        "chemical_potential_range",
        "pw@localhost",
        "pw2wannier90@localhost @ localhost, version 6.7MaX",
        "wannier90@localhost @ localhost, version 3.1.0",
        "aiida-orbmag (chi computed with)",
    ):
        assert expected in result.output, expected
    # from the chi node itself: the same report, the chain found through the calcfunction's caller
    assert provenance_report(chain.outputs.chi)["chain"]["uuid"] == chain.uuid


def test_check_fails_on_a_missing_link(make_planted_chain):
    chain = make_planted_chain(missing="nscf")
    result = _run("provenance", chain.pk, "--check")
    assert result.exit_code == 1
    assert "[MISSING] pw2wannier90 <- NSCF pw.x (parent_folder)" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output


def test_wrong_node_and_unknown_pk(make_planted_chain):
    chain = make_planted_chain()
    wrong = _run("provenance", chain.inputs.structure.pk)
    assert wrong.exit_code == 1 and "not a chi node" in wrong.output
    unknown = _run("provenance", 987654321)
    assert unknown.exit_code == 1 and "No node with PK or UUID" in unknown.output


IMPORT_SCRIPT = """
import json, sys
from aiida import load_profile
from aiida.storage.sqlite_temp import SqliteTempBackend
load_profile(SqliteTempBackend.create_profile('imported'), allow_switch=True)
from aiida import orm
from aiida.tools.archive import import_archive
import_archive(sys.argv[1])
from aiida_orbmag.tools.provenance import provenance_report
print(json.dumps(provenance_report(orm.load_node(sys.argv[2])), default=str))
"""


def _without_pks(value):
    if isinstance(value, dict):
        return {k: _without_pks(v) for k, v in value.items() if k != "pk"}
    if isinstance(value, list | tuple):
        return [_without_pks(v) for v in value]
    return value


def test_archive_round_trip_gives_the_same_answer(make_planted_chain, tmp_path):
    """`verdi archive create` of the chain and its pseudopotential families, import into a fresh profile (another
    process): the same report."""
    from aiida import orm
    from aiida.tools.archive import create_archive

    from aiida_orbmag.demo import pseudo_families

    chain = make_planted_chain()
    archive = tmp_path / "chain.aiida"
    # every family that holds the demo's files: the report lists them all, and other tests of the session may have
    # put the same files in families of their own
    members = {node.uuid for family in pseudo_families().values() for node in family.nodes}
    query = orm.QueryBuilder().append(orm.Group, filters={"type_string": {"like": "pseudo.family%"}})
    families = [group for group in query.all(flat=True) if members & {node.uuid for node in group.nodes}]
    create_archive([chain, *families], filename=archive)
    here = json.loads(json.dumps(provenance_report(chain), default=str))
    environment = {**os.environ, "AIIDA_PATH": str(tmp_path / "config")}
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT, str(archive), chain.uuid],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    there = json.loads(completed.stdout.strip().splitlines()[-1])
    assert _without_pks(there) == _without_pks(here)
    assert all(ok for _, ok in there["checks"])
