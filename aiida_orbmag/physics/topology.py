"""Chern number of the occupied bands: the real-space (finite-flake) check of chi applies only when it is zero."""

from __future__ import annotations

import numpy as np

from . import geometry
from .bands import band_basis
from .conventions import DEFAULT_CONVENTIONS, Conventions
from .fourier import FourierInterpolator
from .kgrid import check_kmesh, chunks, uniform_grid
from .model import TightBindingModel


def chern_number(
    model: TightBindingModel,
    occupied_bands: int,
    kmesh=(48, 48),
    *,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> float:
    """Chern number (dimensionless) of the lowest ``occupied_bands`` bands, C = (1/2pi) int d²k Omega^z, with the
    Berry curvature of Wang et al. PRB 74, 195118 (2006), Eq. 27. Returned as a float: a value far from an integer
    means the grid is too coarse or the occupied set is not separated by a gap. The Bloch convention, position
    operator and degeneracy tolerance come from ``conventions``."""
    if not 0 < occupied_bands < model.num_wann:
        raise ValueError(f"occupied_bands must lie between 1 and num_wann - 1 = {model.num_wann - 1}.")
    kpoints = uniform_grid(model.reciprocal_lattice_2d, check_kmesh(kmesh))
    interpolator = FourierInterpolator(model, conventions)
    total = 0.0
    for part in chunks(len(kpoints), 4096):
        wannier = interpolator.at(kpoints[part], second_derivatives=False)
        bands = band_basis(wannier, conventions.degeneracy_tol, derivatives=False)
        if np.any(bands.cluster[:, occupied_bands - 1] == bands.cluster[:, occupied_bands]):
            raise ValueError(f"Band {occupied_bands} touches band {occupied_bands + 1}: the occupied set has no gap.")
        total += geometry.berry_curvature(bands)[:, :occupied_bands].sum()
    zone_area = (2 * np.pi) ** 2 / model.cell_area
    return float(total * zone_area / len(kpoints) / (2 * np.pi))
