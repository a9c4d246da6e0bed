"""High-symmetry paths through the 2D Brillouin zone, for Wannier-against-DFT band plots.

aiida-core's 2D path (``get_kpoints_path(method='legacy')``) fails on 2D cells in aiida-core 2.9 (it evaluates
vector names it never defines), and seekpath knows 3D lattices only: this module classifies the in-plane lattice
itself. Points are given in fractional coordinates of the reciprocal vectors b1, b2 (third coordinate 0), labels as
wannier90 accepts them (``G`` for Gamma).
"""

from __future__ import annotations

import numpy as np

#: relative tolerance on lengths and cosines when classifying the 2D lattice
TOLERANCE = 1e-3


def reciprocal_lattice_2d(cell: np.ndarray) -> np.ndarray:
    """b1, b2 (rows, 1/Å) of the in-plane vectors a1, a2 (the first two rows of ``cell``, Å): a_i . b_j = 2 pi d_ij."""
    in_plane = np.asarray(cell, dtype=float)[:2, :2]
    return 2 * np.pi * np.linalg.inv(in_plane).T


def lattice_type_2d(cell: np.ndarray) -> str:
    """``hexagonal``, ``square``, ``rectangular`` or ``oblique``, from the lengths and angle of a1, a2 (Å)."""
    a1, a2 = np.asarray(cell, dtype=float)[:2, :2]
    l1, l2 = np.linalg.norm(a1), np.linalg.norm(a2)
    cosine = a1 @ a2 / (l1 * l2)
    equal = abs(l1 - l2) < TOLERANCE * max(l1, l2)
    if equal and abs(abs(cosine) - 0.5) < TOLERANCE:
        return "hexagonal"
    if abs(cosine) < TOLERANCE:
        return "square" if equal else "rectangular"
    return "oblique"


def high_symmetry_path_2d(cell: np.ndarray) -> dict:
    """``{"path": [[start, stop], ...], "point_coords": {label: [f1, f2, 0]}}`` of the 2D cell (Å), in the form of
    the ``kpoint_path`` input of ``orbmag.wannier90``: G-M-K-G (hexagonal), G-X-M-G (square), G-X-S-Y-G
    (rectangular), G-X-G-Y (oblique, its two zone-boundary midpoints)."""
    kind = lattice_type_2d(cell)
    if kind == "hexagonal":
        reciprocal = reciprocal_lattice_2d(cell)
        corner = np.linalg.norm(reciprocal[0]) / np.sqrt(3)  # |G-K| of a regular hexagon
        # the zone corner next to M = b1/2: of the (i/3, j/3) at |G-K|, the one nearest M
        thirds = [np.array([i / 3, j / 3]) for i in range(-2, 3) for j in range(-2, 3)]
        corners = [c for c in thirds if abs(np.linalg.norm(c @ reciprocal) - corner) < 1e-6 * corner]
        k_point = min(corners, key=lambda c: np.linalg.norm((c - [0.5, 0.0]) @ reciprocal)).tolist()
        points, order = {"G": [0, 0], "M": [0.5, 0], "K": k_point}, ["G", "M", "K", "G"]
    elif kind in ("square", "rectangular"):
        points = {"G": [0, 0], "X": [0.5, 0], "M" if kind == "square" else "S": [0.5, 0.5], "Y": [0, 0.5]}
        order = ["G", "X", "M", "G"] if kind == "square" else ["G", "X", "S", "Y", "G"]
    else:
        points, order = {"G": [0, 0], "X": [0.5, 0], "Y": [0, 0.5]}, ["G", "X", "G", "Y"]
    coords = {label: [float(points[label][0]), float(points[label][1]), 0.0] for label in set(order)}
    return {"path": [[a, b] for a, b in zip(order[:-1], order[1:], strict=True)], "point_coords": coords}


def explicit_path(path: dict, reciprocal: np.ndarray, density: float = 40.0):
    """k-points along ``path`` (:func:`high_symmetry_path_2d`'s form).

    :param reciprocal: b1, b2 (rows, 1/Å).
    :param density: points per 1/Å along the path.
    :return: (fractional (nk, 2), cumulative distance (nk,) in 1/Å, tick distances, tick labels).
    """
    fractional, distance, ticks, labels = [], [], [0.0], [path["path"][0][0]]
    start_distance = 0.0
    for start, stop in path["path"]:
        a, b = (np.asarray(path["point_coords"][label][:2], dtype=float) for label in (start, stop))
        length = float(np.linalg.norm((b - a) @ reciprocal))
        num = max(2, int(round(density * length)) + 1)
        steps = np.linspace(0.0, 1.0, num)
        fractional.append(a + steps[:, None] * (b - a))
        distance.append(start_distance + steps * length)
        start_distance += length
        if labels[-1] != start:  # a jump: both labels at one tick
            labels[-1] = f"{labels[-1]}|{start}"
        ticks.append(start_distance)
        labels.append(stop)
    return np.concatenate(fractional), np.concatenate(distance), np.array(ticks), labels
