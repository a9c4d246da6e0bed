"""``aiida-orbmag codes setup``: register the chain's executables as codes on a computer of the profile."""

from __future__ import annotations

import click

from aiida_orbmag.cli.common import PROFILE, load_profile


@click.group()
def codes():
    """AiiDA codes for pw.x, pw2wannier90.x, wannier90.x, ld1.x and aiida-orbmag (chi as a job)."""


@codes.command("setup")
@PROFILE
@click.option(
    "--computer", "computer_label", default="localhost", show_default=True, metavar="LABEL",
    help="A configured computer of the profile (localhost is created if missing).",
)  # fmt: skip
@click.option("--pw", metavar="PATH", help="Absolute path of pw.x there [default: found with `command -v`].")
@click.option("--pw2wannier90", metavar="PATH", help="Absolute path of pw2wannier90.x there.")
@click.option("--wannier90", metavar="PATH", help="Absolute path of wannier90.x there.")
@click.option("--ld1", metavar="PATH", help="Absolute path of ld1.x there.")
@click.option("--compute", metavar="PATH", help="Absolute path of the aiida-orbmag executable there (chi as a job).")
@click.option(
    "--prepend-text", default=None, metavar="TEXT",
    help="Bash lines before each executable in the job script (module loads, OpenMP threads) "
    "[default: the OpenMPI-as-root and OpenBLAS-threads exports the Debian executables need].",
)  # fmt: skip
def setup(profile_name, computer_label, pw, pw2wannier90, wannier90, ld1, compute, prepend_text):
    """Register (or find) pw, pw2wannier90, wannier90, ld1 and compute @ the computer; rerunning it changes
    nothing."""
    profile = load_profile(profile_name)
    from aiida_orbmag.codes import CHAIN_CODES, PREPEND_TEXT, setup_codes

    paths = {"pw": pw, "pw2wannier90": pw2wannier90, "wannier90": wannier90, "ld1": ld1, "compute": compute}
    try:
        registered = setup_codes(
            computer_label,
            {label: path for label, path in paths.items() if path},
            PREPEND_TEXT if prepend_text is None else prepend_text,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"profile: {profile.name}")
    for code in registered.values():
        mpi = {None: "", False: ", serial"}.get(code.with_mpi, ", MPI")
        plugin = code.default_calc_job_plugin
        click.echo(f"  {code.full_label}  {code.get_executable()}  (pk {code.pk}, plugin {plugin}{mpi})")
    for label in sorted(set(CHAIN_CODES) - set(registered)):
        executable = CHAIN_CODES[label][0]
        click.echo(
            f"  {label}: {executable} not found on {computer_label}, skipped (chi then runs as the calcfunction)"
        )
