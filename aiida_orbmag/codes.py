"""The executables of the chain as AiiDA codes on ``localhost``: the embedded default (a ``verdi presto`` profile).

``setup_localhost_codes`` registers Debian's ``pw.x``, ``pw2wannier90.x``, ``wannier90.x`` and ``ld1.x`` once (it is
idempotent), with the prepend text they need when run as root under OpenMPI and with OpenBLAS's own threads off.
On a cluster, configure codes with ``verdi code create`` instead and pass them to the builders.
"""

from __future__ import annotations

import pathlib
import shutil

from aiida import orm
from aiida.common.exceptions import MultipleObjectsError, NotExistent
from aiida.manage import get_config, get_manager

#: label -> (executable, default CalcJob plugin)
LOCALHOST_CODES = {
    "pw": ("pw.x", "quantumespresso.pw"),
    "pw2wannier90": ("pw2wannier90.x", "quantumespresso.pw2wannier90"),
    "wannier90": ("wannier90.x", "orbmag.wannier90"),
    "ld1": ("ld1.x", "orbmag.ld1"),
    "compute": ("aiida-orbmag", "orbmag.compute"),
}
#: OpenMPI refuses root without these; QE's MPI ranks should not also spawn OpenBLAS threads.
PREPEND_TEXT = "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1"


def localhost() -> orm.Computer:
    """The ``localhost`` computer (core.local / core.direct), created and configured as ``verdi presto`` does."""
    try:
        computer = orm.load_computer("localhost")
    except NotExistent:
        profile = get_manager().get_profile()
        workdir = pathlib.Path(get_config().dirpath) / "scratch" / profile.name
        computer = orm.Computer(
            label="localhost",
            hostname="localhost",
            description="Localhost created by aiida-orbmag",
            transport_type="core.local",
            scheduler_type="core.direct",
            workdir=str(workdir),
        ).store()
        computer.set_minimum_job_poll_interval(1)
        computer.set_default_mpiprocs_per_machine(1)
    if not computer.is_configured:
        computer.configure(safe_interval=0)
    return computer


def localhost_code(label: str) -> orm.InstalledCode:
    """The code ``label@localhost`` (one of ``LOCALHOST_CODES``), created from the executable on PATH if missing."""
    if label not in LOCALHOST_CODES:
        raise ValueError(f"Unknown code {label!r}; the chain uses {sorted(LOCALHOST_CODES)}.")
    try:
        return orm.load_code(f"{label}@localhost")
    except NotExistent:
        pass
    except MultipleObjectsError as error:
        raise ValueError(f"More than one code is labelled {label}@localhost; pass the code explicitly.") from error
    name, plugin = LOCALHOST_CODES[label]
    executable = shutil.which(name)
    if executable is None:
        raise ValueError(
            f"{name} is not on PATH: apt-get install quantum-espresso wannier90 (Debian), or configure the code with "
            "`verdi code create` and pass it explicitly."
        )
    code = orm.InstalledCode(
        computer=localhost(),
        filepath_executable=executable,
        label=label,
        default_calc_job_plugin=plugin,
        prepend_text=PREPEND_TEXT,
        description=f"{name} from {executable}; registered by aiida-orbmag",
    )
    return code.store()


def setup_localhost_codes(labels=tuple(LOCALHOST_CODES)) -> dict[str, orm.InstalledCode]:
    """Register (or load) every code of the chain on ``localhost``; label -> code."""
    return {label: localhost_code(label) for label in labels}
