"""``wannier_quality_report``: how faithfully a Wannier tight-binding model reproduces the DFT bands it came from.

Two numbers decide whether a model may be used for orbital responses:

- the largest difference (eV) between the Wannier-interpolated and the DFT eigenvalues of the states inside the frozen
  window, at the k-points of a DFT band calculation (the NSCF grid itself checks the wiring: on-grid the frozen states
  are reproduced to round-off; off-grid k-points check the interpolation);
- when the magnetic group contains PT (inversion times time reversal, e.g. interlayer-antiferromagnetic bilayer CrI3),
  every band is doubly degenerate, and the largest splitting of those pairs (eV) measures how much the model breaks
  PT. Any such splitting is spurious and feeds straight into chi, which PT-even terms cannot produce;
- for every operation of the structure's magnetic group (spglib, the moments included), the largest |E(k) - E(gk)| of
  the model's states in the frozen window, on the grid and off it, and whether the operation maps the Wannier centres
  onto each other (:mod:`aiida_orbmag.physics.model_symmetry`). The bands are the direct test that a forbidden chi
  will cancel: above :data:`SYMMETRY_TOLERANCE_EV` the model breaks the symmetry (``model_keeps_symmetry``). The
  centres are a diagnosis: functions that an operation mixes (a d pair under C3) need not map one by one, so
  ``centres_map_onto_each_other`` (within :data:`CENTRE_TOLERANCE_ANGSTROM`) can be False for a symmetric model.
"""

from __future__ import annotations

import numpy as np
import spglib
from aiida import orm
from aiida.engine import calcfunction

from aiida_orbmag.physics import symmetry as point_symmetry
from aiida_orbmag.physics.bands import band_energies
from aiida_orbmag.physics.disentanglement import frozen_window_deviation
from aiida_orbmag.physics.model_symmetry import band_symmetry_deviation, centre_symmetry_mismatch

#: A model whose bands in the frozen window differ between k and g k by more than this (eV) breaks the symmetry.
SYMMETRY_TOLERANCE_EV = 1e-3
#: A model whose Wannier centres an operation maps more than this (Å) away from any centre breaks the symmetry.
CENTRE_TOLERANCE_ANGSTROM = 1e-2


def magnetic_moment_vectors(structure: orm.StructureData, moments: dict) -> np.ndarray:
    """(n_sites, 3) moments (mu_B) per site from a kind -> moment map: a number (collinear along z) or 3 numbers."""
    vectors = []
    for site in structure.sites:
        moment = moments.get(site.kind_name, 0.0)
        vector = [0.0, 0.0, float(moment)] if np.isscalar(moment) else [float(m) for m in moment]
        if len(vector) != 3:
            raise ValueError(f"The moment of kind {site.kind_name} must be a number or three numbers (mu_B).")
        vectors.append(vector)
    return np.array(vectors)


def magnetic_cell(structure: orm.StructureData, moments: dict) -> tuple:
    """spglib's (lattice, fractional positions, species numbers, moment vectors) of ``structure`` with ``moments``.

    Atoms are told apart by element only: kinds that differ by their moment (Cr0, Cr1) are the same species.
    """
    symbols = {kind.name: kind.symbol for kind in structure.kinds}
    numbers = {symbol: index for index, symbol in enumerate(sorted(set(symbols.values())))}
    lattice = np.array(structure.cell)
    return (
        lattice,
        np.array([site.position for site in structure.sites]) @ np.linalg.inv(lattice),
        [numbers[symbols[site.kind_name]] for site in structure.sites],
        magnetic_moment_vectors(structure, moments),
    )


def magnetic_symmetry(structure: orm.StructureData, moments: dict, symprec: float = 1e-3) -> dict:
    """spglib's magnetic symmetry operations (rotations on fractional coordinates, time-reversal flags)."""
    symmetry = spglib.get_magnetic_symmetry(magnetic_cell(structure, moments), symprec=symprec)
    if symmetry is None:
        raise ValueError("spglib could not find the magnetic symmetry of the structure; check the atoms and moments.")
    return symmetry


def has_pt_symmetry(structure: orm.StructureData, moments: dict, symprec: float = 1e-3) -> bool:
    """Whether the magnetic group of ``structure`` with ``moments`` holds inversion combined with time reversal."""
    symmetry = magnetic_symmetry(structure, moments, symprec)
    inversion = -np.eye(3, dtype=int)
    return any(
        np.array_equal(rotation, inversion) and reversed_
        for rotation, reversed_ in zip(symmetry["rotations"], symmetry["time_reversals"], strict=True)
    )


def pt_pair_splitting(energies: np.ndarray) -> float:
    """Largest splitting (eV) between the two members of each PT (Kramers-like) pair of bands, over all k."""
    energies = np.sort(energies, axis=1)
    pairs = energies[:, : energies.shape[1] // 2 * 2].reshape(len(energies), -1, 2)
    return float(np.max(pairs[:, :, 1] - pairs[:, :, 0]))


def model_symmetry_report(model, structure, moments: dict, window, grids: dict) -> dict:
    """Per operation of the magnetic group of ``structure`` with ``moments``: the model's largest band deviation
    |E(k) - E(gk)| in ``window`` (eV) on each of ``grids`` (name -> fractional k-points) and its Wannier-centre
    mismatch (Å); plus the largest of each and whether all stay within the tolerances."""
    found = magnetic_symmetry(structure, moments)
    lattice = np.array(structure.cell)
    distinct, mismatch = {}, {}  # in-plane operation -> its PointOperation, largest centre mismatch of its {W|t}
    for rotation, translation, reversed_ in zip(
        found["rotations"], found["translations"], found["time_reversals"], strict=True
    ):
        in_plane = point_symmetry.operations_from_spglib([rotation], [reversed_], lattice)
        if not in_plane:
            continue  # mixes z with the plane: not an operation of the layer
        key = (tuple(np.round(in_plane[0].rotation, 6).ravel()), in_plane[0].antiunitary)
        distinct.setdefault(key, in_plane[0])
        centres = centre_symmetry_mismatch(model.centres, lattice, [rotation], [translation])[0]
        mismatch[key] = max(mismatch.get(key, 0.0), centres)
    deviations = {  # one band evaluation per grid for all operations
        suffix: band_symmetry_deviation(model, list(distinct.values()), k, window) for suffix, k in grids.items()
    }
    rows = {
        key: {
            "rotation": np.round(operation.rotation, 12).tolist(),
            "time_reversal": operation.antiunitary,
            "max_centre_mismatch_angstrom": mismatch[key],
            **{f"max_band_deviation{suffix}_eV": deviations[suffix][index] for suffix in grids},
        }
        for index, (key, operation) in enumerate(distinct.items())
    }
    operations = list(rows.values())
    report = {"symmetry_operations": operations}
    for suffix in grids:
        report[f"max_symmetry_band_deviation{suffix}_eV"] = max(o[f"max_band_deviation{suffix}_eV"] for o in operations)
    report["max_centre_mismatch_angstrom"] = max(o["max_centre_mismatch_angstrom"] for o in operations)
    report["symmetry_tolerance_eV"] = SYMMETRY_TOLERANCE_EV
    report["centre_tolerance_angstrom"] = CENTRE_TOLERANCE_ANGSTROM
    report["model_keeps_symmetry"] = bool(
        all(report[f"max_symmetry_band_deviation{suffix}_eV"] <= SYMMETRY_TOLERANCE_EV for suffix in grids)
    )
    report["centres_map_onto_each_other"] = bool(report["max_centre_mismatch_angstrom"] <= CENTRE_TOLERANCE_ANGSTROM)
    return report


def _compare(model, bands: orm.BandsData, window):
    """k-points, Wannier energies, largest deviation in ``window`` (eV) and the number of states compared."""
    kpoints = bands.get_kpoints()
    dft = bands.get_bands()
    if dft.ndim == 3:  # collinear spin channels: a spinor model is compared with both together
        dft = np.sort(np.concatenate(list(dft), axis=1), axis=1)
    wannier = band_energies(model, kpoints)
    deviation, count = frozen_window_deviation(dft, wannier, window)
    return kpoints, wannier, deviation, count


@calcfunction
def wannier_quality_report(tight_binding, bands, windows, structure=None, magnetic_moments=None, check_bands=None):
    """Quality report (Dict, eV) of ``tight_binding`` against the DFT ``bands`` (BandsData, eV).

    ``windows`` (Dict) gives ``frozen_window`` = [bottom, top] (eV) and the rest of the window choice, copied into the
    report. With ``check_bands`` (DFT bands at k-points off the Wannier grid) it also gives the interpolation error
    there, ``max_frozen_window_deviation_off_grid_eV``. With ``structure`` and ``magnetic_moments`` (Dict kind ->
    moment, mu_B) the report also says whether the magnetic group contains PT and, if so, the largest PT-pair
    splitting of the model on the same k-points, and gives :func:`model_symmetry_report` (per operation,
    |E(k) - E(gk)| in the frozen window on the grid and off it, and the Wannier-centre mismatch).
    """
    model = tight_binding.get_model()
    window = tuple(windows["frozen_window"])
    kpoints, wannier, deviation, count = _compare(model, bands, window)
    report = {
        "frozen_window_eV": list(window),
        "num_kpoints": int(len(kpoints)),
        "num_states_compared": count,
        "max_frozen_window_deviation_eV": deviation,
        "energy_units": "eV",
        "window_choice": windows.get_dict(),
    }
    if check_bands is not None:
        _, _, off_grid, off_count = _compare(model, check_bands, window)
        report.update({"max_frozen_window_deviation_off_grid_eV": off_grid, "num_states_compared_off_grid": off_count})
    if structure is not None and magnetic_moments is not None:
        pt = has_pt_symmetry(structure, magnetic_moments.get_dict())
        report["magnetic_group_has_pt"] = pt
        report["max_pt_pair_splitting_eV"] = pt_pair_splitting(wannier) if pt else None
        grids = {"": kpoints}
        if check_bands is not None:
            grids["_off_grid"] = check_bands.get_kpoints()
        report.update(model_symmetry_report(model, structure, magnetic_moments.get_dict(), window, grids))
    return orm.Dict(report)
