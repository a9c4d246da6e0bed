"""``aiida-orbmag structures``: groups of candidate structures for a first screening."""

from __future__ import annotations

import click

from aiida_orbmag.cli.common import PROFILE, load_profile

GROUP = click.option("-G", "--group", "group_label", required=True, metavar="LABEL", help="Group to store them in.")
STRAIN = click.option(
    "--strain", "strains", type=float, multiple=True, default=(0.0,), show_default=True, metavar="FRACTION",
    help="Biaxial in-plane strain (0.02: lattice constant 2% larger); repeatable.",
)  # fmt: skip


@click.group()
def structures():
    """Store groups of 2D structures to screen (each with extras formula, layers, stacking, strain)."""


def _store_in_group(group_label: str, candidates) -> None:
    """Add each (extras, make_structure) of ``candidates`` to the group, skipping those whose extras it holds."""
    from aiida import orm

    group, _ = orm.Group.collection.get_or_create(label=group_label)
    query = orm.QueryBuilder().append(orm.Group, filters={"id": group.pk}, tag="group")
    query.append(orm.StructureData, with_group="group", project=["extras"])
    present = [extras for (extras,) in query.all()]
    keys = ("system", "layers", "stacking", "strain")
    for extras, make in candidates:
        if any(all(old.get(key) == extras.get(key) for key in keys) for old in present):
            click.echo(f"  already in {group_label}: {extras['system']} {_describe(extras)}")
            continue
        structure = make()
        structure.base.extras.set_many({**extras, "formula": structure.get_formula()})
        group.add_nodes([structure])
        click.echo(f"  {structure.get_formula():10s} {_describe(extras)}  PK {structure.pk}")
    click.echo(f"group {group_label}: {group.count()} nodes")


def _describe(extras: dict) -> str:
    return f"layers {extras['layers']}  stacking {extras['stacking']}  strain {extras['strain']:+.3f}"


@structures.command("crx3")
@GROUP
@click.option(
    "--halogen", "halogens", type=click.Choice(["Cl", "Br", "I"]), multiple=True, default=("I",), show_default=True,
    help="Halogen X; repeatable.",
)  # fmt: skip
@click.option(
    "--layers", "layer_counts", type=click.Choice(["1", "2"]), multiple=True, default=("1", "2"), show_default=True,
    help="Monolayer and/or bilayer; repeatable.",
)  # fmt: skip
@click.option(
    "--stacking", "stackings", type=click.Choice(["monoclinic", "rhombohedral"]), multiple=True,
    default=("monoclinic", "rhombohedral"), show_default=True, help="Bilayer stackings; repeatable.",
)  # fmt: skip
@STRAIN
@click.option("--vacuum", type=float, default=20.0, show_default=True, help="Vacuum along z (Å).")
@PROFILE
def crx3(group_label, halogens, layer_counts, stackings, strains, vacuum, profile_name):
    """CrX3 monolayers and bilayers (in the stackings the builder knows, optionally strained) stored in a group by
    the chromium_trihalide calcfunction, so that each structure's provenance names its geometry.

    Example: aiida-orbmag structures crx3 -G crx3 --halogen Br --halogen I --layers 2 --strain 0 --strain 0.02
    """
    load_profile(profile_name)
    from aiida import orm

    from aiida_orbmag.calcfunctions.structures import GEOMETRIES, chromium_trihalide

    candidates = []
    for halogen in halogens:
        for layers in sorted({int(n) for n in layer_counts}):
            for stacking in stackings if layers == 2 else ("monolayer",):
                for strain in strains:
                    a = GEOMETRIES[halogen].lattice_constant * (1 + strain)

                    def make(halogen=halogen, layers=layers, stacking=stacking, a=a):
                        return chromium_trihalide(
                            orm.Str(halogen), orm.Int(layers),
                            orm.Str("monoclinic" if stacking == "monolayer" else stacking),
                            orm.Float(vacuum), lattice_constant=orm.Float(a),
                        )  # fmt: skip

                    extras = {"system": f"Cr{halogen}3", "layers": layers, "stacking": stacking, "strain": strain}
                    candidates.append((extras, make))
    _store_in_group(group_label, candidates)


@structures.command("demo")
@GROUP
@STRAIN
@PROFILE
def demo(group_label, strains, profile_name):
    """The demo's Ni(111) bilayer (minutes of DFT on 2 cores), strained: a tiny screening set for trying the
    commands. Also installs Debian's Ni pseudopotentials as the families orbmag/demo/Ni/FR and orbmag/demo/Ni/SR
    (give them to `screen` as --pseudo-family and --collinear-pseudo-family).

    Example: aiida-orbmag structures demo -G ni-demo --strain -0.01 --strain 0 --strain 0.01
    """
    load_profile(profile_name)
    from aiida_orbmag.demo import nickel_bilayer, pseudo_families

    try:
        families = pseudo_families()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo("pseudopotential families: " + ", ".join(family.label for family in families.values()))

    def make(strain):
        return lambda: nickel_bilayer(a=2.49 * (1 + strain)).store()

    candidates = [
        ({"system": "Ni bilayer", "layers": 2, "stacking": "AB", "strain": strain}, make(strain)) for strain in strains
    ]
    _store_in_group(group_label, candidates)
