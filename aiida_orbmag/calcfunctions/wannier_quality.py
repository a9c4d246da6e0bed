"""``wannier_quality_report``: how faithfully a Wannier tight-binding model reproduces the DFT bands it came from.

Two numbers decide whether a model may be used for orbital responses:

- the largest difference (eV) between the Wannier-interpolated and the DFT eigenvalues of the states inside the frozen
  window, at the k-points of a DFT band calculation (the NSCF grid itself checks the wiring: on-grid the frozen states
  are reproduced to round-off; off-grid k-points check the interpolation). For an isolated manifold the frozen window
  reaches up to the next manifold on the grid, which can dip into it off the grid (states the model does not stand
  for: bilayer CrI3, 1.63 eV), so the manifold is also compared band by band (``max_manifold_deviation_eV``);
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
from aiida import orm
from aiida.engine import calcfunction

from aiida_orbmag.physics import crystal_symmetry
from aiida_orbmag.physics import model_symmetry as pure_model_symmetry
from aiida_orbmag.physics.bands import band_energies, pt_pair_splitting
from aiida_orbmag.physics.disentanglement import (
    ISOLATION_GAP_EV,
    excluded_count,
    frozen_window_deviation,
    manifold_deviation,
)
from aiida_orbmag.physics.model_symmetry import CENTRE_TOLERANCE_ANGSTROM, SYMMETRY_TOLERANCE_EV

from .magnetic_symmetry import magnetic_symmetry

__all__ = (
    "CENTRE_TOLERANCE_ANGSTROM",
    "SYMMETRY_TOLERANCE_EV",
    "has_pt_symmetry",
    "model_symmetry_report",
    "pt_pair_splitting",
    "wannier_quality_report",
)


def has_pt_symmetry(
    structure: orm.StructureData, moments: dict, symprec: float = crystal_symmetry.SYMPREC_ANGSTROM
) -> bool:
    """Whether the magnetic group of ``structure`` with ``moments`` holds inversion combined with time reversal."""
    return crystal_symmetry.has_pt(magnetic_symmetry(structure, moments, symprec))


def model_symmetry_report(model, structure, moments: dict, window, grids: dict, found: dict | None = None) -> dict:
    """:func:`aiida_orbmag.physics.model_symmetry.model_symmetry_report` for the magnetic group of ``structure`` with
    ``moments`` (``found``: that group from :func:`magnetic_symmetry`, when already known)."""
    found = magnetic_symmetry(structure, moments) if found is None else found
    lattice = np.array(structure.cell)
    operations = crystal_symmetry.in_plane_operations(found, lattice)
    return pure_model_symmetry.model_symmetry_report(model, lattice, operations, window, grids)


def _dft(bands: orm.BandsData) -> np.ndarray:
    """(nk, nb) DFT energies (eV); collinear spin channels together, as a spinor model has them."""
    dft = bands.get_bands()
    return np.sort(np.concatenate(list(dft), axis=1), axis=1) if dft.ndim == 3 else dft


def _compare(model, bands: orm.BandsData, window):
    """k-points, Wannier energies, largest deviation in ``window`` (eV) and the number of states compared."""
    kpoints = bands.get_kpoints()
    wannier = band_energies(model, kpoints)
    deviation, count = frozen_window_deviation(_dft(bands), wannier, window)
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
        _, off_wannier, off_grid, off_count = _compare(model, check_bands, window)
        report.update({"max_frozen_window_deviation_off_grid_eV": off_grid, "num_states_compared_off_grid": off_count})
    choice = windows.get_dict()
    if (choice.get("gap_above_manifold_eV") or 0.0) >= ISOLATION_GAP_EV:  # an isolated manifold: band by band too
        first = excluded_count(choice.get("exclude_bands"))
        report["max_manifold_deviation_eV"] = manifold_deviation(_dft(bands), wannier, first)
        if check_bands is not None:
            report["max_manifold_deviation_off_grid_eV"] = manifold_deviation(_dft(check_bands), off_wannier, first)
    if structure is not None and magnetic_moments is not None:
        moments = magnetic_moments.get_dict()
        found = magnetic_symmetry(structure, moments)  # one spglib search for the PT check and the report
        pt = crystal_symmetry.has_pt(found)
        report["magnetic_group_has_pt"] = pt
        report["max_pt_pair_splitting_eV"] = pt_pair_splitting(wannier) if pt else None
        grids = {"": kpoints}
        if check_bands is not None:
            grids["_off_grid"] = check_bands.get_kpoints()
        report.update(model_symmetry_report(model, structure, moments, window, grids, found))
    return orm.Dict(report)
