"""``aiida-orbmag pseudos``: offline pseudopotential families, regenerated with ld1.x in the default AiiDA profile."""

from __future__ import annotations

import click

DEFAULT_SOURCE_DIR = "/usr/share/espresso/pseudo"
DEFAULT_LABEL_PREFIX = "orbmag/pslibrary-1.0.0"


@click.group()
def pseudos():
    """Pseudopotential families regenerated offline from pslibrary files with ld1.x."""


def _load_profile():
    import aiida
    from aiida.common.exceptions import ConfigurationError

    try:
        return aiida.load_profile()
    except ConfigurationError as error:
        raise click.ClickException(f"No default AiiDA profile ({error}); run `verdi presto` to create one.") from None


@pseudos.command("install")
@click.option(
    "-e",
    "--element",
    "elements",
    multiple=True,
    default=("Cr", "I"),
    show_default=True,
    help="Chemical symbol; repeatable.",
)
@click.option(
    "--source-dir",
    default=DEFAULT_SOURCE_DIR,
    show_default=True,
    help="Folder with the pslibrary UPF files (El.<functional>-*_psl.*.UPF).",
)
@click.option("--functional", default="PBE", show_default=True, help="Functional of the pslibrary files.")
@click.option("--label-prefix", default=DEFAULT_LABEL_PREFIX, show_default=True, help="Start of the family labels.")
@click.option(
    "--ultrasoft",
    is_flag=True,
    help="Generate the recipes as ultrasoft (families .../FR-US and .../SR-US; ld1.x does not test them): Debian's "
    "pw.x 6.7 fails with the PAW files when the moments lie in the plane.",
)
def install(elements, source_dir, functional, label_prefix, ultrasoft):
    """Regenerate fully (FR) and scalar (SR) relativistic pseudopotentials and install them as families.

    Example: aiida-orbmag pseudos install -e Cr -e I --ultrasoft
    """
    profile = _load_profile()
    from aiida_orbmag.pseudos import STRINGENCY, install_families

    augmentation = "ultrasoft" if ultrasoft else None
    families = install_families(elements, source_dir, functional, label_prefix=label_prefix, augmentation=augmentation)
    click.echo(f"profile: {profile.name}")
    for label, family in families.items():
        click.echo(label)
        cutoffs = family.get_cutoffs(STRINGENCY)
        for element in sorted(cutoffs):
            pseudo = family.get_pseudo(element)
            wfc, rho = cutoffs[element]["cutoff_wfc"], cutoffs[element]["cutoff_rho"]
            click.echo(
                f"  {element:2s}  ecutwfc {wfc:6.1f} Ry  ecutrho {rho:7.1f} Ry  {pseudo.filename} (pk {pseudo.pk})"
            )
