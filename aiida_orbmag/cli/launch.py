"""``aiida-orbmag launch susceptibility`` (one chain) and ``aiida-orbmag screen`` (a group of structures, throttled),
in the manner of aiida-quantumespresso's launch commands: codes, protocol, pseudopotential families, and one
``Error: ...`` line for a missing code, family, structure or group before anything is submitted."""

from __future__ import annotations

import functools
import pathlib
import time

import click

from aiida_orbmag.cli.common import PROFILE, load_code, load_group, load_node, load_profile

CODES = click.option(
    "--codes", "code_specs", multiple=True, metavar="KEY=CODE",
    help="A code of the chain, KEY one of pw, pw2wannier90, wannier90; CODE a label@computer, PK or UUID "
    "[default: KEY@COMPUTER, as `aiida-orbmag codes setup --computer COMPUTER` registers them]; repeatable.",
)  # fmt: skip
PROTOCOL = click.option(
    "--protocol", type=click.Choice(["fast", "balanced", "stringent"]), default=None,
    help="Protocol of orbmag.susceptibility and its children [default: balanced].",
)  # fmt: skip
PSEUDO_FAMILY = click.option(
    "--pseudo-family", default=None, metavar="LABEL",
    help="Fully relativistic pseudopotential family for the spin-orbit steps "
    "[default: orbmag/pslibrary-1.0.0/PBE/FR].",
)  # fmt: skip
COLLINEAR_FAMILY = click.option(
    "--collinear-pseudo-family", default=None, metavar="LABEL",
    help="Scalar-relativistic family for the relaxation and the magnetic candidates "
    "[default: orbmag/pslibrary-1.0.0/PBE/SR].",
)  # fmt: skip
ORDER = click.option(
    "--order", default=None, metavar="NAME",
    help="Fix the magnetic order (a candidate's name, e.g. interlayer_antiferromagnetic) instead of ranking them.",
)  # fmt: skip
SPIN_AXIS = click.option(
    "--spin-axis", type=(float, float), default=None, metavar="THETA PHI",
    help="Direction of the moments with spin-orbit coupling (degrees; theta from the layer normal) [default: z].",
)  # fmt: skip
OVERRIDES = click.option(
    "--overrides", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path), default=None,
    metavar="FILE", help="YAML file of overrides of the protocol (children under magnetic, wannierization, relax).",
)  # fmt: skip
WHERE = (
    click.option(
        "--computer", default="localhost", show_default=True, metavar="LABEL",
        help="Computer of the codes pw@LABEL, pw2wannier90@LABEL and wannier90@LABEL.",
    ),
    click.option(
        "--num-mpiprocs", type=click.IntRange(min=1), default=1, show_default=True,
        help="MPI ranks per machine of each pw.x and pw2wannier90.x job (wannier90.x: as its code allows).",
    ),
    click.option("--num-machines", type=click.IntRange(min=1), default=1, show_default=True, help="Machines per job."),
    click.option(
        "--walltime", type=click.IntRange(min=60), default=None, metavar="SECONDS",
        help="Wall time of each job [default: 43200].",
    ),
    click.option("--account", default=None, metavar="NAME", help="Scheduler account (project) charged for every job."),
    click.option("--queue", default=None, metavar="NAME", help="Scheduler queue (partition) of every job."),
)  # fmt: skip


def where_options(command):
    """Add the computer and the scheduler options of every job, collected into one argument ``where``:
    (computer label, ``metadata.options``)."""

    @functools.wraps(command)
    def wrapper(*args, computer, num_mpiprocs, num_machines, walltime, account, queue, **kwargs):
        options = {"resources": {"num_machines": num_machines, "num_mpiprocs_per_machine": num_mpiprocs}}
        chosen = (("max_wallclock_seconds", walltime), ("account", account), ("queue_name", queue))
        options.update({key: value for key, value in chosen if value is not None})
        return command(*args, where=(computer, options), **kwargs)

    for option in reversed(WHERE):
        wrapper = option(wrapper)
    return wrapper


def _codes(code_specs, computer: str) -> dict:
    from aiida_orbmag.codes import code_specs as parse_code_specs
    from aiida_orbmag.codes import registered_compute_code
    from aiida_orbmag.workflows.screening import CODE_KEYS

    try:
        given = parse_code_specs(code_specs, CODE_KEYS)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--codes") from None
    chosen = {key: given.get(key, f"{key}@{computer}") for key in CODE_KEYS}
    codes = {key: load_code(identifier) for key, identifier in chosen.items()}
    return {**registered_compute_code(computer), **codes}


def _overrides(path) -> dict | None:
    if path is None:
        return None
    import yaml

    try:
        overrides = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise click.ClickException(f"--overrides {path} is not valid YAML ({' '.join(str(error).split())}).") from None
    if not isinstance(overrides, dict):
        raise click.ClickException(f"--overrides {path} must hold a mapping of input names to values.")
    return overrides


def _families(pseudo_family, collinear_pseudo_family) -> tuple[str, str]:
    from aiida_orbmag.workflows.protocols.utils import DEFAULT_COLLINEAR_PSEUDO_FAMILY, DEFAULT_PSEUDO_FAMILY

    return pseudo_family or DEFAULT_PSEUDO_FAMILY, collinear_pseudo_family or DEFAULT_COLLINEAR_PSEUDO_FAMILY


def _check_pseudopotentials(structures, families) -> None:
    from aiida_orbmag.workflows.screening import install_command, missing_pseudopotentials

    missing = missing_pseudopotentials(structures, families)
    if missing:
        lacking = "; ".join(f"{label} lacks {', '.join(elements)}" for label, elements in missing.items())
        command = install_command(missing)
        raise click.ClickException(f"Pseudopotentials missing ({lacking}): install them with `{command}`.")


def _check_order(structures, order) -> None:
    if order is None:
        return
    from aiida_orbmag.physics.magnetic_orders import candidate_orders
    from aiida_orbmag.workflows.common import site_positions_and_symbols

    for structure in structures:
        names = candidate_orders(structure.cell, *site_positions_and_symbols(structure))
        if order not in names:
            raise click.ClickException(
                f"{structure.get_formula()} (PK {structure.pk}) has no magnetic order {order!r}; its candidates are "
                f"{', '.join(sorted(names)) or 'none'}."
            )


def _check_broker() -> None:
    """Submitting needs a broker (the daemon's queue); refuse before anything is built or stored."""
    from aiida.manage import get_manager

    profile = get_manager().get_profile()
    if profile.process_control_backend is None:
        raise click.ClickException(
            f"The profile {profile.name!r} has no broker, so nothing can be submitted to a daemon: use --run, or a "
            "profile made by `verdi presto` (ZeroMQ broker) and `verdi daemon start`."
        )


def _caching_note() -> str | None:
    from aiida.manage import get_config_option

    if not get_config_option("caching.default_enabled"):
        command = "verdi config set caching.default_enabled True"
        return f"note: caching is off, so resubmitted chains rerun every step (`{command}`)"
    return None


def _structure(identifier: str):
    """A StructureData by PK/UUID, or a structure file read with ASE (and stored)."""
    from aiida import orm

    path = pathlib.Path(identifier)
    if path.is_file():
        import ase.io

        try:
            atoms = ase.io.read(path)
        except Exception as error:  # ASE raises many kinds for unreadable files
            raise click.ClickException(f"{path}: not a structure file ASE can read ({error}).") from None
        structure = orm.StructureData(ase=atoms)
        if not atoms.pbc[2]:
            structure.pbc = (True, True, False)
        return structure  # stored only once every check has passed
    node = load_node(identifier, "structure")
    if not isinstance(node, orm.StructureData):
        raise click.ClickException(f"Node {node.pk} is a {type(node).__name__}, not a StructureData.")
    return node


def chain_options(command):
    """The options every chain launcher takes: profile, codes, protocol, pseudopotential families, magnetic order,
    spin axis, overrides, and where the jobs run (computer and scheduler options, one argument ``where``)."""
    command = where_options(command)
    for option in reversed((PROFILE, CODES, PROTOCOL, PSEUDO_FAMILY, COLLINEAR_FAMILY, ORDER, SPIN_AXIS, OVERRIDES)):
        command = option(command)
    return command


@click.group()
def launch():
    """Submit work chains of aiida-orbmag to the daemon (or run them here)."""


@launch.command("susceptibility")
@click.argument("structure")
@chain_options
@click.option("--group", "group_label", default=None, metavar="LABEL", help="Also add the chain to this group.")
@click.option("-d/-r", "--daemon/--run", default=True, show_default=True, help="Submit to the daemon, or run here.")
def launch_susceptibility(structure, profile_name, code_specs, protocol, pseudo_family, collinear_pseudo_family, order,
                          spin_axis, overrides, where, group_label, daemon):  # fmt: skip
    """Launch orbmag.susceptibility on STRUCTURE (a PK, UUID or a structure file ASE reads; 2D: vacuum along z).

    Examples:

    \b
        aiida-orbmag launch susceptibility 1234 --protocol fast
        aiida-orbmag launch susceptibility CrI3.xsf --order interlayer_antiferromagnetic --spin-axis 90 90 \\
            --computer cluster --codes pw=pw-7.2@cluster --num-mpiprocs 16 --account proj42 --walltime 86400
    """
    load_profile(profile_name)
    from aiida import engine, orm

    from aiida_orbmag.workflows.screening import structure_extras, susceptibility_builder

    computer, options = where
    codes = _codes(code_specs, computer)
    node = _structure(structure)
    families = _families(pseudo_family, collinear_pseudo_family)
    _check_pseudopotentials([node], families)
    _check_order([node], order)
    if daemon:
        _check_broker()
    node.store()
    builder = susceptibility_builder(node, codes, protocol, *families, order, spin_axis, _overrides(overrides), options)
    if daemon:
        process = engine.submit(builder)
        action = "Submitted"
    else:
        _, process = engine.run_get_node(builder)
        action = f"Ran ({process.process_state.value}, exit status {process.exit_status})"
    process.base.extras.set_many({**structure_extras(node), "protocol": protocol or "balanced"})
    if group_label:
        orm.Group.collection.get_or_create(label=group_label)[0].add_nodes([process])
    click.echo(f"{action} SusceptibilityWorkChain<{process.pk}> for {node.get_formula()} (structure PK {node.pk})")


@click.command("screen")
@click.argument("structures_group")
@click.option("-G", "--group", "group_label", required=True, metavar="LABEL", help="Group collecting the chains.")
@click.option(
    "--max-concurrent", type=click.IntRange(min=1), default=2, show_default=True,
    help="Most chains running at once.",
)  # fmt: skip
@chain_options
@click.option("--wait/--no-wait", default=False, show_default=True, help="Keep submitting until every chain is done.")
@click.option("--interval", type=click.IntRange(min=1), default=30, show_default=True, help="Seconds between batches.")
@click.option(
    "--max-retries", type=click.IntRange(min=0), default=1, show_default=True,
    help="Times a structure whose chain failed is submitted again.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only say what would be submitted.")
def screen(structures_group, group_label, max_concurrent, profile_name, code_specs, protocol, pseudo_family,
           collinear_pseudo_family, order, spin_axis, overrides, where, wait, interval, max_retries,
           dry_run):  # fmt: skip
    """Run orbmag.susceptibility on every structure of STRUCTURES_GROUP (label, PK or UUID), at most
    --max-concurrent at a time, collecting the chains in --group with extras (formula, source_structure, stacking,
    layers, strain, protocol).

    Rerunning the same command resumes: it submits only the structures without a chain, and those whose chain failed
    (moved to the group LABEL/failed; at most --max-retries times per structure); with caching on
    (`verdi config set caching.default_enabled True`) their finished steps are reused. Pseudopotentials missing for
    any element are reported before anything is submitted.

    Examples:

    \b
        aiida-orbmag structures crx3 -G crx3 --halogen Cl --halogen Br --halogen I --layers 1
        aiida-orbmag screen crx3 -G crx3/fast --protocol fast --max-concurrent 2
        aiida-orbmag screen crx3 -G crx3/fast --protocol fast --max-concurrent 2 --wait
    """
    load_profile(profile_name)
    from aiida import orm

    from aiida_orbmag.workflows.screening import SusceptibilityScreening, structures_of_group

    source = load_group(structures_group)
    try:
        structures = structures_of_group(source)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    computer, options = where
    codes = _codes(code_specs, computer)
    families = _families(pseudo_family, collinear_pseudo_family)
    _check_pseudopotentials(structures, families)
    _check_order(structures, order)
    if not dry_run:
        _check_broker()
    orm.Group.collection.get_or_create(label=group_label)
    controller = SusceptibilityScreening(
        parent_group_label=source.label, group_label=group_label, max_concurrent=max_concurrent,
        codes={key: code.pk for key, code in codes.items()}, protocol=protocol, pseudo_family=families[0],
        collinear_pseudo_family=families[1], order=order, spin_axis=spin_axis, overrides=_overrides(overrides),
        options=options, max_retries=max_retries,
    )  # fmt: skip
    if dry_run:
        waiting = controller.submit_new_batch(dry_run=True)
        click.echo(f"{controller.num_to_run} of {len(structures)} structures without a chain; next batch would submit:")
        for (uuid,) in waiting:
            click.echo(f"  {orm.load_node(uuid).get_formula()}  {uuid}")
        return
    while True:
        released = controller.release_failed()
        for node in released:
            click.echo(f"Failed chain <{node.pk}> moved to {group_label}/failed; its structure is submitted again.")
        if released and _caching_note():
            click.echo(_caching_note())
        for (uuid,), node in controller.submit_batch().items():
            click.echo(f"Submitted SusceptibilityWorkChain<{node.pk}> for {node.base.extras.get('formula')} ({uuid})")
        done = controller.num_already_run - controller.num_active_slots
        click.echo(
            f"{group_label}: {len(structures)} structures, {controller.num_already_run} chains "
            f"({controller.num_active_slots} running, {done} terminated), {controller.num_to_run} to submit"
        )
        if not wait or (controller.num_to_run == 0 and controller.num_active_slots == 0 and not released):
            break
        time.sleep(interval)
