"""High-throughput screening: ``orbmag.susceptibility`` over a group of structures, throttled and resumable.

:class:`SusceptibilityScreening` is an aiida-submission-controller: each structure of the parent group (a
``StructureData``) gets one chain in the screening group, identified by the extra ``source_structure`` (the
structure's UUID). At most ``max_concurrent`` chains run at once; a second call submits only what is missing.
Chains that failed (excepted, killed or a non-zero exit status) are first moved to the group ``<label>/failed`` so
that they are submitted again; with AiiDA's caching on, the steps that finished before are reused, not rerun.
"""

from __future__ import annotations

import copy

from aiida import orm
from aiida.common.exceptions import NotExistent
from aiida_pseudo.groups.family import PseudoPotentialFamily
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge
from aiida_submission_controller import BaseSubmissionController
from pydantic import field_validator

from aiida_orbmag.physics.magnetic_orders import magnetic_layer_count
from aiida_orbmag.workflows.common import site_positions_and_symbols
from aiida_orbmag.workflows.protocols.utils import DEFAULT_COLLINEAR_PSEUDO_FAMILY, DEFAULT_PSEUDO_FAMILY
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

#: The codes of the chain, by the keys of ``get_builder_from_protocol``'s ``codes``.
CODE_KEYS = ("pw", "pw2wannier90", "wannier90")
#: Extras copied from a source structure (set by ``aiida-orbmag structures``) onto its chain.
STRUCTURE_EXTRAS = ("stacking", "layers", "strain", "system")


def structure_extras(structure: orm.StructureData) -> dict:
    """The extras a screening puts on the chain of ``structure``: formula, source UUID, stacking, layers, strain, as
    ``aiida-orbmag structures`` set them; a structure without a ``layers`` extra (one read from a file) gets the
    number of layers of magnetic atoms along z, when it has magnetic atoms."""
    extras = {"formula": structure.get_formula(), "source_structure": structure.uuid}
    for key in STRUCTURE_EXTRAS:
        value = structure.base.extras.get(key, None)
        if value is not None:
            extras[key] = value
    if "layers" not in extras:
        layers = magnetic_layer_count(*site_positions_and_symbols(structure))
        if layers:
            extras["layers"] = layers
    return extras


def missing_pseudopotentials(structures, families) -> dict[str, list[str]]:
    """``{family label: [elements it lacks]}`` over ``structures``; a family that is not installed lacks them all."""
    elements = sorted({kind.symbol for structure in structures for kind in structure.kinds})
    missing = {}
    for label in dict.fromkeys(families):
        try:
            family = orm.QueryBuilder().append(PseudoPotentialFamily, filters={"label": label}).one()[0]
            lacking = [element for element in elements if element not in family.elements]
        except NotExistent:
            lacking = elements
        if lacking:
            missing[label] = lacking
    return missing


def install_command(missing: dict[str, list[str]]) -> str:
    """The command that installs the elements of :func:`missing_pseudopotentials` as the default families."""
    elements = sorted({element for lacking in missing.values() for element in lacking})
    return "aiida-orbmag pseudos install " + " ".join(f"-e {element}" for element in elements)


def susceptibility_builder(
    structure: orm.StructureData,
    codes: dict,
    protocol: str | None = None,
    pseudo_family: str = DEFAULT_PSEUDO_FAMILY,
    collinear_pseudo_family: str = DEFAULT_COLLINEAR_PSEUDO_FAMILY,
    order: str | None = None,
    spin_axis: tuple[float, float] | None = None,
    overrides: dict | None = None,
    options: dict | None = None,
):
    """The builder of ``orbmag.susceptibility`` for ``structure`` from a protocol; ``order``: the magnetic order to
    fix (a candidate's name) instead of ranking them; ``spin_axis``: (theta, phi) in degrees; ``overrides`` as for
    ``get_builder_from_protocol`` (children under ``magnetic``, ``wannierization``, ``relax``)."""
    overrides = copy.deepcopy(overrides or {})
    if order is not None:
        overrides = recursive_merge(overrides, {"magnetic": {"fixed_order": order}})
    if spin_axis is not None:
        overrides["spin_axis"] = [float(angle) for angle in spin_axis]
    return SusceptibilityWorkChain.get_builder_from_protocol(
        codes,
        structure,
        protocol=protocol,
        overrides=overrides,
        pseudo_family=pseudo_family,
        collinear_pseudo_family=collinear_pseudo_family,
        options=options,
    )


def structures_of_group(group: orm.Group) -> list[orm.StructureData]:
    """The structures of ``group``, oldest first; ValueError when it holds none."""
    query = orm.QueryBuilder().append(orm.Group, filters={"id": group.pk}, tag="group")
    query.append(orm.StructureData, with_group="group", project="*").order_by({orm.StructureData: {"ctime": "asc"}})
    structures = query.all(flat=True)
    if not structures:
        raise ValueError(
            f"The group {group.label!r} holds no structures; fill it with `aiida-orbmag structures crx3 -G "
            f"{group.label}` or `verdi group add-nodes`."
        )
    return structures


class SusceptibilityScreening(BaseSubmissionController):
    """One ``orbmag.susceptibility`` per structure of ``parent_group_label``, in ``group_label``, throttled."""

    parent_group_label: str
    codes: dict[str, int]  # code key -> PK
    protocol: str | None = None
    pseudo_family: str = DEFAULT_PSEUDO_FAMILY
    collinear_pseudo_family: str = DEFAULT_COLLINEAR_PSEUDO_FAMILY
    order: str | None = None
    spin_axis: tuple[float, float] | None = None
    overrides: dict | None = None
    options: dict | None = None
    max_retries: int = 1
    unique_extra_keys: tuple = ("source_structure",)

    @field_validator("parent_group_label")
    @classmethod
    def _parent_group_exists(cls, value):
        orm.load_group(label=value)
        return value

    @property
    def parent_group(self) -> orm.Group:
        """The group of the structures to screen."""
        return orm.load_group(label=self.parent_group_label)

    def get_all_extras_to_submit(self):
        """One ``(structure UUID,)`` per structure of the parent group."""
        return [(structure.uuid,) for structure in structures_of_group(self.parent_group)]

    def get_inputs_and_processclass_from_extras(self, extras_values):
        """The builder of the chain of the structure with UUID ``extras_values[0]``."""
        structure = orm.load_node(extras_values[0])
        codes = {key: orm.load_code(pk) for key, pk in self.codes.items()}
        builder = susceptibility_builder(
            structure,
            codes,
            self.protocol,
            self.pseudo_family,
            self.collinear_pseudo_family,
            self.order,
            self.spin_axis,
            self.overrides,
            self.options,
        )
        builder.metadata.label = f"{structure.get_formula()} screening"
        return builder

    def release_failed(self) -> list[orm.ProcessNode]:
        """Move the failed chains of the group to ``<group_label>/failed``, so that the next batch submits them
        again (their finished steps are reused from the cache when caching is on); a structure whose chain failed
        ``max_retries`` times already keeps its last failed chain in the group and is not submitted again."""
        archive, _ = orm.Group.collection.get_or_create(label=f"{self.group_label}/failed")
        query = orm.QueryBuilder().append(orm.Group, filters={"id": archive.pk}, tag="group")
        query.append(orm.ProcessNode, with_group="group", project="extras.source_structure")
        earlier = query.all(flat=True)
        failed = [
            node
            for node in self.get_all_submitted_processes().values()
            if (node.is_excepted or node.is_killed or (node.is_finished and not node.is_finished_ok))
            and earlier.count(node.base.extras.get("source_structure", None)) < self.max_retries
        ]
        if failed:
            archive.add_nodes(failed)
            self.group.remove_nodes(failed)
        return failed

    def submit_batch(self) -> dict:
        """Release the failed chains, submit up to the free slots, and put the screening extras on the new chains."""
        submitted = self.submit_new_batch()
        protocol = self.protocol or SusceptibilityWorkChain.get_default_protocol()
        for (uuid,), node in submitted.items():
            extras = structure_extras(orm.load_node(uuid))
            node.base.extras.set_many({**extras, "protocol": protocol, "screening": self.group_label})
        return submitted
