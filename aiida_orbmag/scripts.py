"""Where a chain of an example script (``verdi run examples/...``) runs: the arguments they share.

Every example takes ``--computer LABEL`` (codes ``pw@LABEL``, ... as ``aiida-orbmag codes setup --computer``
registers them), ``--codes KEY=CODE`` for any code of another label, and the scheduler options every job of the chain
gets (``--mpiprocs``, ``--num-machines``, ``--walltime``, ``--account``, ``--queue``), so none assumes localhost.
"""

from __future__ import annotations

import argparse


def add_where_arguments(parser: argparse.ArgumentParser, mpiprocs: int = 2, walltime: int = 86400) -> None:
    """Add the computer, codes and scheduler options to ``parser``; the defaults are the script's own."""
    group = parser.add_argument_group("where it runs")
    group.add_argument("--computer", default="localhost", help="computer of the codes (default: %(default)s)")
    group.add_argument(
        "--codes", action="append", default=[], metavar="KEY=CODE",
        help="a code of another label: KEY one of pw, pw2wannier90, wannier90; CODE a label@computer, PK or UUID",
    )  # fmt: skip
    group.add_argument("--mpiprocs", type=int, default=mpiprocs, help="MPI ranks per machine (default: %(default)s)")
    group.add_argument("--num-machines", type=int, default=1, help="machines per job (default: %(default)s)")
    group.add_argument("--walltime", type=int, default=walltime, help="seconds per job (default: %(default)s)")
    group.add_argument("--account", help="scheduler account (project) to charge")
    group.add_argument("--queue", help="scheduler queue (partition)")


def codes_from_arguments(args: argparse.Namespace) -> dict:
    """pw, pw2wannier90, wannier90 codes chosen by ``--computer`` and ``--codes``; SystemExit with the reason."""
    from aiida_orbmag.codes import chain_codes

    try:
        return chain_codes(args.computer, args.codes)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None


def options_from_arguments(args: argparse.Namespace) -> dict:
    """``metadata.options`` the chain's builders pass to every job."""
    options = {
        "resources": {"num_machines": args.num_machines, "num_mpiprocs_per_machine": args.mpiprocs},
        "max_wallclock_seconds": args.walltime,
    }
    options.update({key: value for key, value in (("account", args.account), ("queue_name", args.queue)) if value})
    return options
