"""Options and loaders of the commands that use an AiiDA profile, following verdi's conventions: ``-p/--profile``,
nodes and groups by PK, UUID or label, and one ``Error: ...`` line for anything that cannot be found."""

from __future__ import annotations

import click

PROFILE = click.option(
    "-p", "--profile", "profile_name", default=None, metavar="PROFILE",
    help="AiiDA profile to use [default: the default profile, as for verdi].",
)  # fmt: skip


def load_profile(name: str | None = None):
    """Load the profile ``name`` (or the default one; an already loaded one is kept) or fail with one line."""
    import aiida
    from aiida.common.exceptions import ConfigurationError, ProfileConfigurationError

    try:
        return aiida.load_profile(name, allow_switch=name is not None)
    except (ConfigurationError, ProfileConfigurationError) as error:
        reason = " ".join(str(error).split())
        message = f"Cannot load the AiiDA profile ({reason}); run `verdi presto` to create one."
        raise click.ClickException(message) from None


def load_node(identifier: str, what: str = "node"):
    """The node with PK, UUID (or its start) ``identifier``; one clear error otherwise."""
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    try:
        return orm.load_node(identifier)
    except NotExistent:
        raise click.ClickException(f"No {what} with PK or UUID {identifier!r} in this profile.") from None
    except MultipleObjectsError:
        raise click.ClickException(f"{identifier!r} matches several nodes; give more of the UUID.") from None
    except (ValueError, TypeError) as error:
        raise click.ClickException(f"{identifier!r} is not a PK or UUID ({error}).") from None


def load_group(identifier: str):
    """The group with label, PK or UUID ``identifier``; one clear error otherwise."""
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    try:
        return orm.load_group(label=identifier)
    except NotExistent:
        pass
    try:
        return orm.load_group(identifier)
    except (NotExistent, MultipleObjectsError, ValueError, TypeError):
        raise click.ClickException(f"No group with label, PK or UUID {identifier!r} in this profile.") from None


def load_code(identifier: str):
    """The code ``identifier`` (label@computer, PK or UUID); one clear error naming ``aiida-orbmag codes setup``."""
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    try:
        return orm.load_code(identifier)
    except (NotExistent, MultipleObjectsError, ValueError, TypeError):
        raise click.ClickException(
            f"No code {identifier!r} in this profile: `aiida-orbmag codes setup [--computer LABEL]` registers pw, "
            "pw2wannier90, wannier90 and ld1 on a computer (localhost by default)."
        ) from None
