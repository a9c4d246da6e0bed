"""``magnetic_point_group``: the in-plane magnetic point group of a 2D magnet, and what it allows of chi.

spglib's magnetic symmetry of the structure with its moments (the spin direction included: with spin-orbit coupling
the moments rotate with the lattice, :mod:`aiida_orbmag.physics.crystal_symmetry`) gives the operations; those that
keep the layer in its plane become the 2x2 in-plane operations of :mod:`aiida_orbmag.physics.symmetry`, in the form
``compute_susceptibility`` takes as its ``symmetry_operations`` parameter. The allowed components of chi_int and
chi_ext follow from them.

:func:`magnetic_symmetry` is the one adapter from a ``StructureData`` to the pure spglib helpers.
"""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_orbmag.physics import crystal_symmetry, symmetry


def magnetic_symmetry(
    structure: orm.StructureData, moments: dict, symprec: float = crystal_symmetry.SYMPREC_ANGSTROM
) -> dict:
    """spglib's magnetic symmetry operations of ``structure`` with ``moments`` (kind -> mu_B along z, or a Cartesian
    3-vector): rotations on fractional coordinates, translations, time-reversal flags."""
    symbols = {kind.name: kind.symbol for kind in structure.kinds}
    cell = crystal_symmetry.magnetic_cell(
        structure.cell,
        [site.position for site in structure.sites],
        [site.kind_name for site in structure.sites],
        symbols,
        moments,
    )
    return crystal_symmetry.magnetic_symmetry(cell, symprec)


def in_plane_operations(
    structure: orm.StructureData, moments: dict, symprec: float = crystal_symmetry.SYMPREC_ANGSTROM
) -> list[dict]:
    """Distinct in-plane operations ``{"rotation": 2x2, "time_reversal": bool}`` of the magnetic group."""
    found = magnetic_symmetry(structure, moments, symprec)
    groups = crystal_symmetry.in_plane_operations(found, structure.cell)
    return [symmetry.operation_as_dict(group.operation) for group in groups]


@calcfunction
def magnetic_point_group(structure, magnetic_moments):
    """In-plane magnetic point group (Dict) of ``structure`` with ``magnetic_moments`` (kind -> 3 numbers, mu_B)."""
    operations = in_plane_operations(structure, magnetic_moments.get_dict())
    allowed = symmetry.allowed_response(symmetry.operations_from_dicts(operations))
    return orm.Dict({"operations": operations, "num_operations": len(operations), "allowed": allowed.as_dict()})


@calcfunction
def parameters_with_symmetry(parameters, symmetry):
    """The parameters (Dict) of ``orbmag.compute_susceptibility`` with the operations of ``symmetry`` (the Dict of
    :func:`magnetic_point_group`) as ``symmetry_operations``, unless the parameters already give some (then kept).

    A calcfunction, so that the graph links chi through these parameters to the magnetic point group."""
    merged = parameters.get_dict()
    if merged.get("symmetry_operations") is None:
        merged["symmetry_operations"] = symmetry["operations"]
    return orm.Dict(merged)
