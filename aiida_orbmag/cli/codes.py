"""``aiida-orbmag codes setup``: register the chain's executables as codes on localhost in the default profile."""

from __future__ import annotations

import click

from aiida_orbmag.cli.pseudos import _load_profile


@click.group()
def codes():
    """AiiDA codes for pw.x, pw2wannier90.x, wannier90.x and ld1.x on localhost."""


@codes.command("setup")
def setup():
    """Register (or find) pw@localhost, pw2wannier90@localhost, wannier90@localhost and ld1@localhost."""
    profile = _load_profile()
    from aiida_orbmag.codes import setup_localhost_codes

    click.echo(f"profile: {profile.name}")
    for label, code in setup_localhost_codes().items():
        plugin = code.default_calc_job_plugin
        click.echo(f"  {label}@localhost  {code.get_executable()}  (pk {code.pk}, plugin {plugin})")
