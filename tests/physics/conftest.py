"""Shared helpers for the physics tests."""

import numpy as np
import pytest

from aiida_orbmag.physics.bands import band_basis
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS
from aiida_orbmag.physics.fourier import FourierInterpolator


def _bands_at(model, kpoints, *, conventions=DEFAULT_CONVENTIONS, rotation=None):
    """Band basis of ``model`` at Cartesian ``kpoints`` (nk, 2)."""
    interpolator = FourierInterpolator(model, conventions)
    return band_basis(interpolator.at(np.asarray(kpoints, dtype=float)), conventions.degeneracy_tol, rotation=rotation)


@pytest.fixture
def bands_at():
    """``bands_at(model, kpoints, *, conventions=..., rotation=None)``: the band basis at Cartesian k-points."""
    return _bands_at


@pytest.fixture
def random_kpoints():
    """Twenty reproducible random k-points in [-pi, pi)² (1/Å for the unit-lattice models)."""
    return np.random.default_rng(7).uniform(-np.pi, np.pi, size=(20, 2))
