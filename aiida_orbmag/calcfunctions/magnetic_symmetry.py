"""``magnetic_point_group``: the in-plane magnetic point group of a 2D magnet, and what it allows of chi.

spglib's magnetic symmetry of the structure with its moments (the spin direction included: with spin-orbit coupling
the moments rotate with the lattice) gives the operations; those that keep the layer in its plane become the 2x2
in-plane operations of :mod:`aiida_orbmag.physics.symmetry`, in the form ``compute_susceptibility`` takes as its
``symmetry_operations`` parameter. The allowed components of chi_int and chi_ext follow from them.
"""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_orbmag.calcfunctions.wannier_quality import magnetic_symmetry
from aiida_orbmag.physics import symmetry


def in_plane_operations(structure: orm.StructureData, moments: dict, symprec: float = 1e-3) -> list[dict]:
    """Distinct in-plane operations ``{"rotation": 2x2, "time_reversal": bool}`` of the magnetic group."""
    found = magnetic_symmetry(structure, moments, symprec)
    operations = symmetry.operations_from_spglib(found["rotations"], found["time_reversals"], structure.cell)
    distinct = {}
    for operation in operations:
        key = (tuple(np.round(operation.rotation, 6).ravel()), operation.antiunitary)
        distinct[key] = {"rotation": np.round(operation.rotation, 12).tolist(), "time_reversal": operation.antiunitary}
    return list(distinct.values())


@calcfunction
def magnetic_point_group(structure, magnetic_moments):
    """In-plane magnetic point group (Dict) of ``structure`` with ``magnetic_moments`` (kind -> 3 numbers, mu_B)."""
    operations = in_plane_operations(structure, magnetic_moments.get_dict())
    point_operations = [symmetry.PointOperation(np.array(o["rotation"]), o["time_reversal"]) for o in operations]
    allowed = symmetry.allowed_response(point_operations)
    return orm.Dict({"operations": operations, "num_operations": len(operations), "allowed": allowed.as_dict()})
