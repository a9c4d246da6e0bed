"""How well a Wannier tight-binding model keeps the magnetic symmetry of its crystal, measured on the model itself.

A component of chi that the magnetic point group forbids vanishes only because contributions at symmetry-related
k-points cancel, which they do exactly only when the model's bands obey the group. Two direct measures:

- bands: for each operation g of the magnetic point group, the largest |E_n(k) - E_n(g k)| over the states inside an
  energy window (the frozen window, where the model is meant to be faithful). A unitary g maps k to R k, an antiunitary
  g T to -R k (R: the in-plane Cartesian rotation of g). Operations that map every k onto itself (E, and PT, whose
  mark is the pairwise degeneracy of the bands instead) give zero by construction;
- centres: whether each operation of the magnetic space group maps the set of Wannier centres onto itself, modulo
  lattice vectors: the largest distance (Å) from an image centre to the nearest centre. A diagnosis rather than a
  criterion: an operation that mixes functions (a pair of d orbitals under C3) maps each onto a combination, whose
  centre need not be one of the set, so a symmetric model can show a small mismatch.

:func:`model_symmetry_report` gives both per operation of the layer's magnetic group
(:func:`aiida_orbmag.physics.crystal_symmetry.in_plane_operations`), with the verdicts against
:data:`SYMMETRY_TOLERANCE_EV` and :data:`CENTRE_TOLERANCE_ANGSTROM`.

Index legend: k = k-point, n = band, w = Wannier function, o = operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .bands import band_energies
from .model import TightBindingModel
from .symmetry import PointOperation

if TYPE_CHECKING:
    from .crystal_symmetry import InPlaneOperation

#: A model whose bands in the frozen window differ between k and g k by more than this (eV) breaks the symmetry.
SYMMETRY_TOLERANCE_EV = 1e-3
#: A model whose Wannier centres an operation maps more than this (Å) away from any centre breaks the symmetry.
CENTRE_TOLERANCE_ANGSTROM = 1e-2


def image_kpoints(model: TightBindingModel, kpoints: np.ndarray, operation: PointOperation) -> np.ndarray:
    """Fractional (k1, k2, 0) images g k of fractional ``kpoints`` (nk, 3) under an in-plane ``operation``:
    R k for a unitary operation, -R k for an antiunitary one (time reversal sends k to -k)."""
    reciprocal = model.reciprocal_lattice_2d  # rows b1, b2 (1/Å)
    cartesian = np.asarray(kpoints, dtype=float)[:, :2] @ reciprocal  # (k, a)
    sign = -1.0 if operation.antiunitary else 1.0
    images = sign * cartesian @ operation.rotation.T
    fractional = images @ np.linalg.inv(reciprocal)
    return np.column_stack([fractional, np.zeros(len(fractional))])


def band_symmetry_deviation(
    model: TightBindingModel, operations, kpoints: np.ndarray, window: tuple[float, float] | None = None
) -> list[float]:
    """Largest |E_n(k) - E_n(g k)| (eV) for each operation g, over ``kpoints`` (nk, 3) fractional and the bands n whose
    energy at k or at g k lies inside ``window`` = (bottom, top) eV (all bands when None).

    The whole spectra at k and g k are sorted and compared band by band, so a state that leaves the window at one of
    the two k-points is still compared with its partner.
    """
    kpoints = np.atleast_2d(np.asarray(kpoints, dtype=float))
    energies = band_energies(model, kpoints)  # (k, n)
    result = []
    for operation in operations:
        images = band_energies(model, image_kpoints(model, kpoints, operation))
        difference = np.abs(energies - images)
        if window is not None:
            bottom, top = window
            inside = ((energies >= bottom) & (energies <= top)) | ((images >= bottom) & (images <= top))
            difference = np.where(inside, difference, 0.0)
        result.append(float(difference.max(initial=0.0)))
    return result


def centre_symmetry_mismatch(centres: np.ndarray, lattice: np.ndarray, rotations, translations) -> list[float]:
    """For each space-group operation {W|t} (W (3, 3) integer on fractional coordinates of ``lattice`` rows, t (3,)
    fractional), the largest distance (Å) from the image W c + t of a Wannier centre to the nearest centre, modulo
    lattice vectors: zero when the operation maps the centres onto each other. ``centres`` (nw, 3) Cartesian Å.

    Spin does not enter: with spinor Wannier functions each site carries a pair of functions at (nearly) one centre,
    so the set of centres is what a unitary or antiunitary operation must preserve.
    """
    lattice = np.asarray(lattice, dtype=float)
    fractional = np.asarray(centres, dtype=float) @ np.linalg.inv(lattice)  # (w, 3)
    result = []
    for rotation, translation in zip(np.asarray(rotations), np.asarray(translations), strict=True):
        images = fractional @ np.asarray(rotation, dtype=float).T + np.asarray(translation, dtype=float)
        offset = images[:, None, :] - fractional[None, :, :]  # (image w, centre w, 3)
        offset -= np.round(offset)
        distance = np.linalg.norm(offset @ lattice, axis=-1)
        result.append(float(distance.min(axis=1).max(initial=0.0)))
    return result


def model_symmetry_report(
    model: TightBindingModel, lattice, operations: list[InPlaneOperation], window, grids: dict
) -> dict:
    """Per distinct in-plane operation of the magnetic group (``operations``, from
    :func:`~aiida_orbmag.physics.crystal_symmetry.in_plane_operations` on the crystal of ``lattice`` (3, 3) rows, Å):
    the model's largest band deviation |E(k) - E(gk)| in ``window`` (eV) on each of ``grids`` (suffix -> fractional
    k-points (nk, 3)) and its largest Wannier-centre mismatch (Å) over the operation's {W|t}; plus the largest of
    each and whether all stay within :data:`SYMMETRY_TOLERANCE_EV` and :data:`CENTRE_TOLERANCE_ANGSTROM`."""
    if not operations:
        raise ValueError("The magnetic group has no operation that keeps the layer in the xy plane.")
    point_operations = [group.operation for group in operations]
    deviations = {  # one band evaluation per grid for all operations
        suffix: band_symmetry_deviation(model, point_operations, k, window) for suffix, k in grids.items()
    }
    rows = []
    for index, group in enumerate(operations):
        mismatch = centre_symmetry_mismatch(model.centres, lattice, group.rotations, group.translations)
        rows.append(
            {
                "rotation": np.round(group.operation.rotation, 12).tolist(),
                "time_reversal": group.operation.antiunitary,
                "max_centre_mismatch_angstrom": max(mismatch),
                **{f"max_band_deviation{suffix}_eV": deviations[suffix][index] for suffix in grids},
            }
        )
    report = {"symmetry_operations": rows}
    for suffix in grids:
        report[f"max_symmetry_band_deviation{suffix}_eV"] = max(row[f"max_band_deviation{suffix}_eV"] for row in rows)
    report["max_centre_mismatch_angstrom"] = max(row["max_centre_mismatch_angstrom"] for row in rows)
    report["symmetry_tolerance_eV"] = SYMMETRY_TOLERANCE_EV
    report["centre_tolerance_angstrom"] = CENTRE_TOLERANCE_ANGSTROM
    report["model_keeps_symmetry"] = bool(
        all(report[f"max_symmetry_band_deviation{suffix}_eV"] <= SYMMETRY_TOLERANCE_EV for suffix in grids)
    )
    report["centres_map_onto_each_other"] = bool(report["max_centre_mismatch_angstrom"] <= CENTRE_TOLERANCE_ANGSTROM)
    return report
