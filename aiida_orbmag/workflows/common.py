"""Steps the work chains share: inspecting a finished child, cleaning remote folders (``clean_workdir``); and
``run_or_submit`` for scripts, which returns what happened and prints nothing."""

from __future__ import annotations

from aiida import orm
from aiida.engine import run_get_node
from aiida.engine import submit as submit_to_daemon


def site_positions_and_symbols(structure: orm.StructureData) -> tuple[list, list[str]]:
    """(Cartesian positions in Å, element symbols) of the sites of ``structure``, in site order."""
    positions = [site.position for site in structure.sites]
    return positions, [structure.get_kind(site.kind_name).symbol for site in structure.sites]


def failed_child(process, key: str, step: str, exit_code):
    """``exit_code`` (reported) if the child in ``process.ctx[key]`` did not finish ok, else None."""
    child = process.ctx[key]
    if child.is_finished_ok:
        return None
    process.report(f"{step} {child.process_label}<{child.pk}> failed with exit status {child.exit_status}")
    return exit_code


def clean_remote_folders(process) -> None:
    """Empty the remote folder of every calculation ``process`` called (directly or not), if ``clean_workdir``."""
    if not process.inputs.clean_workdir.value:
        return
    cleaned = []
    for called in process.node.called_descendants:
        if isinstance(called, orm.CalcJobNode) and "remote_folder" in called.outputs:
            try:
                called.outputs.remote_folder._clean()
                cleaned.append(called.pk)
            except OSError:
                pass  # the folder is gone already, or the computer cannot be reached: nothing to clean here
    if cleaned:
        process.report(f"cleaned remote folders of calculations: {' '.join(map(str, cleaned))}")


def run_or_submit(builder, submit: bool = False):
    """``(results, node)`` of ``builder`` run in this interpreter, or ``(None, node)`` submitted to the daemon; the
    caller (an example script) says what happened."""
    if submit:
        return None, submit_to_daemon(builder)
    results, node = run_get_node(builder)
    return results, node
