"""Moment conversions and spglib's magnetic group from plain arrays (no AiiDA): the one home of both."""

import numpy as np
import pytest

from aiida_orbmag.physics import crystal_symmetry as cs
from aiida_orbmag.physics.bands import pt_pair_splitting

#: A square layer of two magnetic atoms stacked along z (Å): inversion swaps them.
LATTICE = np.array([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 20.0]])
POSITIONS = np.array([[0.0, 0.0, -1.5], [0.0, 0.0, 1.5]])
KINDS = ["Cr0", "Cr1"]
SYMBOLS = {"Cr0": "Cr", "Cr1": "Cr"}


def _group(moments):
    return cs.magnetic_symmetry(cs.magnetic_cell(LATTICE, POSITIONS, KINDS, SYMBOLS, moments))


def test_moment_forms():
    assert cs.moment_vector(2.0, (90.0, 90.0)) == pytest.approx([0.0, 2.0, 0.0], abs=1e-12)
    assert cs.moment_vector(-2.0, (0.0, 0.0)) == pytest.approx([0.0, 0.0, -2.0])
    vectors = cs.moment_vectors({"Cr": (3.0, 180.0, 0.0), "Mn": 2.0, "I": 0})
    assert vectors["Cr"] == pytest.approx([0.0, 0.0, -3.0], abs=1e-12)
    assert vectors["Mn"] == [0.0, 0.0, 2.0] and vectors["I"] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="a number or \\(m, angle1, angle2\\)"):
        cs.moment_vectors({"Cr": (3.0, 1.0)})
    sites = cs.site_moment_vectors(["Cr0", "I", "Cr1"], {"Cr0": 3.0, "Cr1": [0.0, 1.0, 0.0]})
    np.testing.assert_array_equal(sites, [[0, 0, 3.0], [0, 0, 0], [0, 1.0, 0]])
    with pytest.raises(ValueError, match="three numbers"):
        cs.site_moment_vectors(["Cr0"], {"Cr0": [1.0, 2.0]})


@pytest.mark.parametrize("moment", [3.0, -3.0])
@pytest.mark.parametrize("axis", [(0.0, 0.0), (90.0, 90.0), (35.0, 200.0)])
def test_spin_orientation_is_the_inverse_of_moment_vector(moment, axis):
    """QE's (|m|, angle1, angle2) of a signed moment along an axis points the same way as the Cartesian vector."""
    size, angle1, angle2 = cs.spin_orientation(moment, axis)
    assert size == abs(moment)
    assert cs.moment_vector(size, (angle1, angle2)) == pytest.approx(cs.moment_vector(moment, axis), abs=1e-12)
    assert cs.moment_vectors({"X": (size, angle1, angle2)})["X"] == pytest.approx(cs.moment_vector(moment, axis))


def test_pt_of_the_layered_antiferromagnet_and_not_of_the_ferromagnet():
    assert cs.has_pt(_group({"Cr0": 3.0, "Cr1": -3.0}))
    assert not cs.has_pt(_group({"Cr0": 3.0, "Cr1": 3.0}))
    assert cs.has_pt(_group({"Cr0": [0.0, 3.0, 0.0], "Cr1": [0.0, -3.0, 0.0]}))


def test_in_plane_operations_of_the_square_ferromagnet():
    """Moments along z on a square lattice: 4/mm'm' in the plane, i.e. C4z and the mirrors combined with T; each
    in-plane operation appears once, with every spglib {W|t} that acts with it."""
    found = _group({"Cr0": 3.0, "Cr1": 3.0})
    groups = cs.in_plane_operations(found, LATTICE)
    assert len(groups) == 8
    assert sum(len(group.rotations) for group in groups) == len(found["rotations"])
    mirrors = [g.operation for g in groups if np.linalg.det(g.operation.rotation) < 0]
    assert mirrors and all(operation.antiunitary for operation in mirrors)  # a mirror flips in-plane m_z: needs T


def test_pt_pair_splitting():
    energies = np.array([[0.0, 0.1, 1.0, 1.3], [0.2, 0.2, 0.5, 0.5]])
    assert pt_pair_splitting(energies) == pytest.approx(0.3)
    assert pt_pair_splitting(energies[:, [1, 0, 3, 2]]) == pytest.approx(0.3)  # unsorted input
    assert pt_pair_splitting(np.array([[0.0, 0.0, 5.0]])) == 0.0  # odd count: the top band has no partner
