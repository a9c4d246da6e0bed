"""The executables of the chain as AiiDA codes on any configured computer.

``setup_codes(computer)`` registers ``pw.x``, ``pw2wannier90.x``, ``wannier90.x``, ``ld1.x`` and ``aiida-orbmag``
(the ``orbmag.compute`` CalcJob: chi as a job on big meshes) as the codes ``pw@COMPUTER``, ``pw2wannier90@COMPUTER``,
..., ``compute@COMPUTER`` once (it is idempotent): from paths the caller gives, or else found
with ``command -v`` on the computer itself, through its transport (local or SSH). Each code gets a prepend text (by
default what OpenMPI needs when run as root and OpenBLAS's own threads off) and, where ``ldd`` shows the executable
is not linked against MPI (Debian's wannier90.x), ``with_mpi=False``, so the chain runs it as one process.

On the embedded default, ``setup_localhost_codes`` does the same on ``localhost``, which it creates as ``verdi presto``
does if the profile lacks it.
"""

from __future__ import annotations

import pathlib
import shlex
import shutil

from aiida import orm
from aiida.common.exceptions import MultipleObjectsError, NotExistent
from aiida.manage import get_config, get_manager

#: label -> (executable, default CalcJob plugin)
CHAIN_CODES = {
    "pw": ("pw.x", "quantumespresso.pw"),
    "pw2wannier90": ("pw2wannier90.x", "quantumespresso.pw2wannier90"),
    "wannier90": ("wannier90.x", "orbmag.wannier90"),
    "ld1": ("ld1.x", "orbmag.ld1"),
    "compute": ("aiida-orbmag", "orbmag.compute"),
}
#: Codes the chain runs without: chi is then the calcfunction (``setup_codes`` skips them when not found).
OPTIONAL_CODES = ("compute",)
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


def _computer(computer: orm.Computer | str) -> orm.Computer:
    if isinstance(computer, orm.Computer):
        return computer
    if computer == "localhost":
        return localhost()
    try:
        found = orm.load_computer(computer)
    except NotExistent:
        raise ValueError(
            f"No computer {computer!r} in this profile: set it up first (`verdi computer setup` and "
            "`verdi computer configure`, see README's 'On a cluster')."
        ) from None
    if not found.is_configured:
        raise ValueError(f"Computer {computer!r} is not configured: run `verdi computer configure` for it first.")
    return found


def _on_computer(computer: orm.Computer, command: str) -> tuple[int, str]:
    """Exit status and stdout of ``command`` run on ``computer`` through its transport."""
    try:
        with computer.get_transport() as transport:
            status, stdout, _ = transport.exec_command_wait(command)
    except Exception as error:  # transports raise their own kinds (OSError, paramiko's, asyncssh's)
        raise ValueError(
            f"Cannot run a command on computer {computer.label!r} ({type(error).__name__}: {error}): check it with "
            f"`verdi computer test {computer.label}`."
        ) from error
    return status, stdout


def _find_executable(computer: orm.Computer, name: str) -> str:
    if computer.transport_type == "core.local":
        path = shutil.which(name)
    else:
        status, stdout = _on_computer(computer, f"command -v {shlex.quote(name)}")
        path = stdout.strip() if status == 0 and stdout.strip() else None
    if path is None:
        raise ValueError(
            f"{name} is not on PATH on computer {computer.label!r}: install it (Debian: apt-get install "
            "quantum-espresso wannier90) or give its path (`aiida-orbmag codes setup --computer LABEL --pw PATH ...`)."
        )
    return path


def _is_mpi_executable(computer: orm.Computer, path: str) -> bool | None:
    """Whether ``ldd`` on ``computer`` shows ``path`` linked against an MPI library; None when ``ldd`` cannot tell."""
    status, stdout = _on_computer(computer, f"ldd {shlex.quote(path)}")
    if status != 0 or "=>" not in stdout:  # no ldd, a static binary, or a script
        return None
    return "libmpi" in stdout


def chain_code(
    label: str,
    computer: orm.Computer | str = "localhost",
    executable: str | None = None,
    prepend_text: str = PREPEND_TEXT,
) -> orm.InstalledCode:
    """The code ``label@computer`` (``label`` one of :data:`CHAIN_CODES`), registered if missing.

    :param executable: absolute path on the computer; None: the one ``command -v`` finds there. A code that exists
        already is reused as it is, unless ``executable`` names another path (then ValueError: nothing is changed).
    :param prepend_text: bash lines before the executable in the job script (used only when the code is created).
    """
    if label not in CHAIN_CODES:
        raise ValueError(f"Unknown code {label!r}; the chain uses {sorted(CHAIN_CODES)}.")
    computer = _computer(computer)
    try:
        existing = orm.load_code(f"{label}@{computer.label}")
    except NotExistent:
        existing = None
    except MultipleObjectsError as error:
        raise ValueError(
            f"More than one code is labelled {label}@{computer.label}; pass the code explicitly."
        ) from error
    if existing is not None:
        if executable is not None and str(existing.filepath_executable) != executable:
            raise ValueError(
                f"Code {label}@{computer.label} exists and runs {existing.filepath_executable}, not {executable}: "
                f"relabel it (`verdi code relabel {existing.pk} {label}-old`) to register the new path."
            )
        return existing
    name, plugin = CHAIN_CODES[label]
    path = executable or _find_executable(computer, name)
    if not pathlib.PurePosixPath(path).is_absolute():
        raise ValueError(f"The path of {name} on {computer.label!r} must be absolute, not {path!r}.")
    status, _ = _on_computer(computer, f"test -x {shlex.quote(path)}")
    if status != 0:
        raise ValueError(f"{path} is not an executable file on computer {computer.label!r}.")
    code = orm.InstalledCode(
        computer=computer,
        filepath_executable=path,
        label=label,
        default_calc_job_plugin=plugin,
        prepend_text=prepend_text,
        description=f"{name} from {path}; registered by aiida-orbmag",
    )
    if _is_mpi_executable(computer, path) is False:
        code.with_mpi = False  # not linked against MPI: one process, never under mpirun
    return code.store()


def setup_codes(
    computer: orm.Computer | str = "localhost",
    executables: dict[str, str] | None = None,
    prepend_text: str = PREPEND_TEXT,
    labels=tuple(CHAIN_CODES),
) -> dict[str, orm.InstalledCode]:
    """Register (or load) the codes ``labels`` of the chain on ``computer``; label -> code.

    :param executables: label -> absolute path on the computer, for codes not on its PATH (see :func:`chain_code`).
        An :data:`OPTIONAL_CODES` one neither given nor found is left out of the result.
    """
    executables = executables or {}
    unknown = sorted(set(executables) - set(CHAIN_CODES))
    if unknown:
        raise ValueError(f"Unknown code {unknown}; the chain uses {sorted(CHAIN_CODES)}.")
    codes = {}
    for label in labels:
        try:
            codes[label] = chain_code(label, computer, executables.get(label), prepend_text)
        except ValueError:
            if label not in OPTIONAL_CODES or label in executables:
                raise
    return codes


def localhost_code(label: str) -> orm.InstalledCode:
    """The code ``label@localhost``, created from the executable on PATH if missing."""
    return chain_code(label, "localhost")


def setup_localhost_codes(labels=tuple(CHAIN_CODES)) -> dict[str, orm.InstalledCode]:
    """Register (or load) the codes ``labels`` of the chain on ``localhost``; label -> code."""
    return setup_codes("localhost", labels=labels)


def code_specs(specs, labels) -> dict[str, str]:
    """label -> code identifier from ``KEY=CODE`` strings (KEY one of ``labels``); ValueError for a malformed one."""
    chosen = {}
    for spec in specs:
        key, _, identifier = spec.partition("=")
        if key not in labels or not identifier:
            raise ValueError(f"{spec!r}: give KEY=CODE with KEY one of {', '.join(labels)}.")
        chosen[key] = identifier
    return chosen


def chain_codes(
    computer: orm.Computer | str = "localhost", specs=(), labels=("pw", "pw2wannier90", "wannier90")
) -> dict[str, orm.Code]:
    """label -> code of a chain run on ``computer``: each ``KEY=CODE`` of ``specs`` (CODE a ``label@computer``, PK or
    UUID) as given, every other label the code ``label@computer`` (registered if missing, see :func:`chain_code`)."""
    chosen = {}
    for key, identifier in code_specs(specs, labels).items():
        try:
            chosen[key] = orm.load_code(identifier)
        except (NotExistent, MultipleObjectsError) as error:
            raise ValueError(f"{key}={identifier}: {error} (`verdi code list` shows the codes).") from None
    codes = {label: chosen[label] if label in chosen else chain_code(label, computer) for label in labels}
    if "compute" not in codes:  # optional: chi as a job on big meshes, when the computer has aiida-orbmag registered
        codes.update(registered_compute_code(computer))
    return codes


def registered_compute_code(computer: orm.Computer | str) -> dict:
    """``{"compute": compute@computer}`` when that code exists, else ``{}``: the optional code of the chain."""
    label = computer.label if isinstance(computer, orm.Computer) else computer
    try:
        return {"compute": orm.load_code(f"compute@{label}")}
    except (NotExistent, MultipleObjectsError):
        return {}
