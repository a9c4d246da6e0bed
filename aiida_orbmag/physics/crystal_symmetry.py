"""Magnetic moments and the magnetic symmetry of a crystal (spglib), from plain arrays: one home for both.

Moments come in three forms, converted here and nowhere else:

- a kind -> moment map as Quantum ESPRESSO and aiida-quantumespresso take it: a number (mu_B, collinear along z) or
  (m, angle1, angle2), m in mu_B and the angles in degrees, angle1 from z and angle2 from x in the plane
  (:func:`moment_vectors`, :func:`spin_orientation` for the way back);
- a signed size along a spin axis (theta, phi) in degrees, theta from z (:func:`moment_vector`);
- Cartesian vectors (mu_B), the form spglib takes (:func:`site_moment_vectors`: per site, from a kind -> number
  along z or 3 numbers).

The magnetic group is spglib's (the moments included: with spin-orbit coupling they rotate with the lattice);
:func:`in_plane_operations` keeps the operations of a layer in the xy plane as the 2x2 in-plane operations of
:mod:`aiida_orbmag.physics.symmetry`, which decide the allowed components of chi.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import spglib

from . import symmetry as point_symmetry

#: Distance tolerance (Å) of spglib's search for the magnetic group.
SYMPREC_ANGSTROM = 1e-3
#: In-plane operations are told apart by their 2x2 matrices rounded to this many decimals.
_OPERATION_DECIMALS = 6


def moment_vector(moment: float, spin_axis) -> list[float]:
    """Cartesian moment (mu_B) of size ``moment`` (signed) along ``spin_axis`` = (theta, phi) in degrees, theta from z
    (Quantum ESPRESSO's angle1, angle2)."""
    theta, phi = np.radians(np.asarray(spin_axis, dtype=float))
    direction = np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
    return [float(v) for v in moment * direction]


def spin_orientation(moment: float, spin_axis) -> tuple[float, float, float]:
    """(|m|, angle1, angle2) in QE's convention (degrees; angle1 from z) of a collinear moment ``moment`` (mu_B,
    signed) along ``spin_axis`` = (theta, phi) in degrees: a negative moment points the opposite way."""
    theta, phi = (float(a) for a in spin_axis)
    if moment >= 0:
        return abs(moment), theta, phi
    return abs(moment), 180.0 - theta, (phi + 180.0) % 360.0


def moment_vectors(moments: dict) -> dict:
    """Kind -> moment as QE / aiida-quantumespresso take it (mu_B along z, or (m, angle1, angle2) in degrees, angle1
    from z) -> kind -> Cartesian vector (mu_B), as the magnetic symmetry and the quality report's PT check take it."""
    vectors = {}
    for kind, moment in moments.items():
        if np.isscalar(moment):
            vectors[kind] = [0.0, 0.0, float(moment)]
            continue
        if len(moment) != 3:
            raise ValueError(f"The moment of kind {kind} must be a number or (m, angle1, angle2) in degrees.")
        vectors[kind] = moment_vector(float(moment[0]), moment[1:])
    return vectors


def site_moment_vectors(kind_names, moments: dict) -> np.ndarray:
    """(n_sites, 3) Cartesian moments (mu_B) of the sites of kinds ``kind_names`` from a kind -> moment map: a number
    (collinear along z) or 3 numbers (Cartesian); kinds not in the map carry none."""
    vectors = []
    for kind in kind_names:
        moment = moments.get(kind, 0.0)
        vector = [0.0, 0.0, float(moment)] if np.isscalar(moment) else [float(m) for m in moment]
        if len(vector) != 3:
            raise ValueError(f"The moment of kind {kind} must be a number or three numbers (mu_B).")
        vectors.append(vector)
    return np.array(vectors).reshape(-1, 3)


def magnetic_cell(lattice, positions, kind_names, kind_symbols: dict, moments: dict) -> tuple:
    """spglib's (lattice, fractional positions, species numbers, moment vectors) of a crystal.

    :param lattice: (3, 3) lattice vectors as rows (Å).
    :param positions: (n, 3) Cartesian positions (Å) of the sites.
    :param kind_names: the n sites' kind names; ``kind_symbols`` maps each kind to its element.
    :param moments: kind -> moment, a number (mu_B along z) or a Cartesian 3-vector (:func:`site_moment_vectors`).

    Atoms are told apart by element only: kinds that differ by their moment (Cr0, Cr1) are the same species.
    """
    lattice = np.asarray(lattice, dtype=float)
    numbers = {symbol: index for index, symbol in enumerate(sorted(set(kind_symbols.values())))}
    return (
        lattice,
        np.asarray(positions, dtype=float).reshape(-1, 3) @ np.linalg.inv(lattice),
        [numbers[kind_symbols[kind]] for kind in kind_names],
        site_moment_vectors(kind_names, moments),
    )


def magnetic_symmetry(cell: tuple, symprec: float = SYMPREC_ANGSTROM) -> dict:
    """spglib's magnetic symmetry operations of ``cell`` (:func:`magnetic_cell`): ``rotations`` on fractional
    coordinates, ``translations``, ``time_reversals``."""
    found = spglib.get_magnetic_symmetry(cell, symprec=symprec)
    if found is None:
        raise ValueError("spglib could not find the magnetic symmetry of the structure; check the atoms and moments.")
    return found


def has_pt(found: dict) -> bool:
    """Whether the magnetic group ``found`` (:func:`magnetic_symmetry`) holds inversion combined with time reversal,
    which makes every band doubly degenerate (:func:`~aiida_orbmag.physics.bands.pt_pair_splitting`)."""
    inversion = -np.eye(3, dtype=int)
    return any(
        np.array_equal(rotation, inversion) and reversed_
        for rotation, reversed_ in zip(found["rotations"], found["time_reversals"], strict=True)
    )


@dataclasses.dataclass(frozen=True)
class InPlaneOperation:
    """A distinct in-plane operation of a layer's magnetic group, and the spglib operations {W|t} (rotations on
    fractional coordinates, fractional translations) that act with it in the plane."""

    operation: point_symmetry.PointOperation
    rotations: tuple
    translations: tuple


def in_plane_operations(found: dict, lattice) -> list[InPlaneOperation]:
    """The distinct in-plane operations of the magnetic group ``found`` (:func:`magnetic_symmetry`) of a layer in
    the xy plane (``lattice`` (3, 3) rows, Å); operations that mix z with the plane are left out."""
    groups: dict = {}
    for rotation, translation, reversed_ in zip(
        found["rotations"], found["translations"], found["time_reversals"], strict=True
    ):
        in_plane = point_symmetry.operations_from_spglib([rotation], [reversed_], lattice)
        if not in_plane:
            continue  # mixes z with the plane: not an operation of the layer
        key = (tuple(np.round(in_plane[0].rotation, _OPERATION_DECIMALS).ravel()), in_plane[0].antiunitary)
        operation, rotations, translations = groups.setdefault(key, (in_plane[0], [], []))
        rotations.append(np.asarray(rotation))
        translations.append(np.asarray(translation))
    return [InPlaneOperation(op, tuple(rotations), tuple(moves)) for op, rotations, moves in groups.values()]
