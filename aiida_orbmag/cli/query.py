"""``aiida-orbmag results`` (the table of a screening group) and ``aiida-orbmag provenance`` (where a chi came from)."""

from __future__ import annotations

import json
import pathlib

import click

from aiida_orbmag.cli.common import PROFILE, load_group, load_node, load_profile


@click.command("results")
@click.argument("group")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="Also write CSV.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="Also write JSON.")
@click.option("--sort", "sort_key", default="pk", show_default=True, metavar="KEY", help="Column to sort by.")
@click.option("--reverse", is_flag=True, help="Sort in descending order.")
@PROFILE
def results(group, csv_file, json_file, sort_key, reverse, profile_name):
    """One row per orbmag.susceptibility chain of GROUP (label, PK or UUID), finished or not: formula, stacking,
    strain, state, magnetic ground state and the energy margin to the next order (meV per magnetic atom), band gap,
    allowed chi components, largest |chi| and the mu - E_F where it occurs, alpha/T at E_F at the lowest T > 0,
    symmetry-forbidden fraction, relative k-mesh error, Wannier model errors (frozen window on and off the grid,
    largest symmetry deviation of the model's bands), exit status, PK.

    Examples:

    \b
        aiida-orbmag results crx3/fast
        aiida-orbmag results crx3/fast --sort chi_max --reverse --csv crx3.csv
    """
    load_profile(profile_name)
    from aiida_orbmag.tools.results import COLUMNS, format_table, results_table

    rows = results_table(load_group(group))
    if not rows:
        raise click.ClickException(f"The group {group!r} holds no work chains; fill it with `aiida-orbmag screen`.")
    known = sorted(set().union(*rows) | set(COLUMNS))
    if sort_key not in known:
        raise click.BadParameter(f"{sort_key!r} is not a column; choose from {', '.join(known)}.", param_hint="--sort")
    present = [row for row in rows if row.get(sort_key) is not None]
    absent = [row for row in rows if row.get(sort_key) is None]
    rows = sorted(present, key=lambda row: row[sort_key], reverse=reverse) + absent
    click.echo(format_table(rows))
    if csv_file is not None:
        import csv

        with csv_file.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, *(k for k in known if k not in COLUMNS)])
            writer.writeheader()
            writer.writerows(rows)
        click.echo(f"Wrote {csv_file}")
    if json_file is not None:
        json_file.write_text(json.dumps(rows, indent=1))
        click.echo(f"Wrote {json_file}")


@click.command("provenance")
@click.argument("identifier", metavar="PK")
@click.option("--check", is_flag=True, help="Exit with status 1 when a link of the chain is missing.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="Also write JSON.")
@PROFILE
def provenance(identifier, check, json_file, profile_name):
    """Where the chi of PK (a chi node or an orbmag.susceptibility chain; PK or UUID) came from: the structure and its
    source, the magnetic ground state and the energies it was chosen from, the pseudopotentials (file, md5, families),
    codes, computers and versions, the parameters of every step, and the package version.

    With --check, the links chi -> model -> wannier90 -> pw2wannier90 -> NSCF -> SCF -> structure / pseudopotentials
    and chi -> magnetic point group must all be in the graph (also after `verdi archive import`).

    Examples:

    \b
        aiida-orbmag provenance 1234
        aiida-orbmag provenance 1234 --check --json provenance.json
    """
    load_profile(profile_name)
    from aiida_orbmag.tools.provenance import format_report, provenance_report

    node = load_node(identifier)
    report = provenance_report(node)
    click.echo(format_report(report))
    if json_file is not None:
        json_file.write_text(json.dumps(report, indent=1, default=str))
        click.echo(f"Wrote {json_file}")
    missing = [name for name, ok in report["checks"] if not ok]
    if check and missing:
        raise click.ClickException(f"{len(missing)} link(s) of the provenance are missing: {'; '.join(missing)}.")
