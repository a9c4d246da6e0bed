"""2D high-symmetry paths: the right zone corners and edge centres for each 2D lattice, and points on a path."""

import numpy as np
import pytest

from aiida_orbmag.physics.band_path import (
    explicit_path,
    high_symmetry_path_2d,
    lattice_type_2d,
    reciprocal_lattice_2d,
)

A = 2.49
HEX_120 = np.array([[A, 0, 0], [-A / 2, A * np.sqrt(3) / 2, 0], [0, 0, 16.0]])
HEX_60 = np.array([[A, 0, 0], [A / 2, A * np.sqrt(3) / 2, 0], [0, 0, 16.0]])


@pytest.mark.parametrize("cell", [HEX_120, HEX_60], ids=["120", "60"])
def test_hexagonal_path_reaches_the_zone_corner(cell):
    path = high_symmetry_path_2d(cell)
    assert path["path"] == [["G", "M"], ["M", "K"], ["K", "G"]]
    b = reciprocal_lattice_2d(cell)
    assert np.allclose(b @ cell[:2, :2].T, 2 * np.pi * np.eye(2))
    k = np.array(path["point_coords"]["K"][:2]) @ b
    m = np.array(path["point_coords"]["M"][:2]) @ b
    length = np.linalg.norm(b[0])
    assert np.linalg.norm(k) == pytest.approx(length / np.sqrt(3))  # the corner of the hexagon
    assert np.linalg.norm(m) == pytest.approx(length / 2)  # the centre of its edge
    assert np.linalg.norm(k - m) == pytest.approx(length / (2 * np.sqrt(3)))  # K next to M
    fractional, distance, ticks, labels = explicit_path(path, b, density=50)
    assert labels == ["G", "M", "K", "G"] and ticks[-1] == pytest.approx(distance[-1])
    assert ticks[-1] == pytest.approx(length * (0.5 + 1 / (2 * np.sqrt(3)) + 1 / np.sqrt(3)))
    assert np.all(np.diff(distance) >= 0)


@pytest.mark.parametrize(
    ("cell", "kind", "labels"),
    [
        (np.diag([3.0, 3.0, 20.0]), "square", ["G", "X", "M", "G"]),
        (np.diag([3.0, 4.0, 20.0]), "rectangular", ["G", "X", "S", "Y", "G"]),
        (np.array([[3.0, 0, 0], [1.0, 4.0, 0], [0, 0, 20.0]]), "oblique", ["G", "X", "G", "Y"]),
    ],
)
def test_other_lattices(cell, kind, labels):
    assert lattice_type_2d(cell) == kind
    path = high_symmetry_path_2d(cell)
    assert [path["path"][0][0], *(stop for _, stop in path["path"])] == labels
    assert all(len(coords) == 3 and coords[2] == 0.0 for coords in path["point_coords"].values())
