"""Cleaning the remote folders of a finished work chain's calculations (``clean_workdir``)."""

from __future__ import annotations

from aiida import orm


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
