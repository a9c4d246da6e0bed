"""Candidate collinear magnetic orders of a layered magnet, from its geometry alone (no database, no DFT).

For a 2D slab (layers stacked along z) with magnetic atoms:

- ``ferromagnetic``: every magnetic moment up;
- ``interlayer_antiferromagnetic`` (two or more magnetic layers): moments alternate from layer to layer, each layer
  ferromagnetic (bilayer CrI3's ground state in the monoclinic stacking);
- ``neel`` (where the lattice allows): inside each layer, nearest magnetic neighbours antiparallel. It exists when the
  in-plane nearest-neighbour graph of the magnetic sites, periodic images included, is bipartite (the honeycomb Cr net
  of CrX3: yes; a triangular net with one site per cell: no, a site would be its own neighbour).

Orders are given as one sign per site (0 for non-magnetic sites), for the cell as given: orders that need a
supercell (stripe, zigzag) are not generated.
"""

from __future__ import annotations

import itertools

import numpy as np

#: Elements treated as magnetic by default: the 3d, 4d, 5d transition metals and the lanthanides.
MAGNETIC_ELEMENTS = frozenset(
    "Sc Ti V Cr Mn Fe Co Ni Cu Y Zr Nb Mo Tc Ru Rh Pd Hf Ta W Re Os Ir Pt "
    "La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu".split()
)
#: Magnetic sites whose heights differ by less than this (Å) belong to one layer.
LAYER_TOLERANCE = 1.0
#: Neighbours within this factor of the shortest in-plane magnetic distance count as nearest neighbours.
NEIGHBOUR_FACTOR = 1.1


def magnetic_layers(positions: np.ndarray, magnetic: np.ndarray) -> np.ndarray:
    """Layer index (0 = lowest z) of every site, -1 for non-magnetic sites; positions Cartesian Å, layers along z."""
    heights = np.asarray(positions, dtype=float)[:, 2]
    layer = np.full(len(heights), -1)
    order = sorted(np.flatnonzero(magnetic), key=lambda i: heights[i])
    current, previous = -1, None
    for index in order:
        if previous is None or heights[index] - previous > LAYER_TOLERANCE:
            current += 1
        layer[index] = current
        previous = heights[index]
    return layer


def magnetic_layer_count(positions, symbols, magnetic_elements=MAGNETIC_ELEMENTS) -> int:
    """Number of layers of magnetic atoms along z (:func:`magnetic_layers`); 0 when no site is magnetic."""
    magnetic = np.array([symbol in magnetic_elements for symbol in symbols], dtype=bool)
    return int(magnetic_layers(positions, magnetic).max(initial=-1)) + 1


def _two_colouring(cell: np.ndarray, positions: np.ndarray, sites: list[int]) -> dict[int, int] | None:
    """Signs +-1 of ``sites`` with nearest neighbours (in-plane images included) antiparallel; None if impossible."""
    images = [np.array([i, j, 0]) @ cell for i, j in itertools.product((-1, 0, 1), repeat=2)]
    distance = {}
    for a, b in itertools.product(sites, repeat=2):
        lengths = [np.linalg.norm(positions[b] + shift - positions[a]) for shift in images]
        distance[a, b] = min(length for length in lengths if length > 1e-6)
    nearest = min(distance.values())
    neighbours = {a: [b for b in sites if distance[a, b] < NEIGHBOUR_FACTOR * nearest] for a in sites}
    signs: dict[int, int] = {}
    for start in sites:
        if start in signs:
            continue
        signs[start], queue = 1, [start]
        while queue:
            a = queue.pop()
            for b in neighbours[a]:
                if b not in signs:
                    signs[b] = -signs[a]
                    queue.append(b)
                elif signs[b] == signs[a]:
                    return None
    return signs


def candidate_orders(cell, positions, symbols, magnetic_elements=MAGNETIC_ELEMENTS) -> dict[str, list[int]]:
    """Collinear orders (name -> sign per site) of a layered magnet.

    :param cell: (3, 3) lattice vectors as rows, Å, the layers in the plane of the first two.
    :param positions: (n, 3) Cartesian positions, Å.
    :param symbols: n element symbols; those in ``magnetic_elements`` carry moments.
    """
    cell, positions = np.asarray(cell, dtype=float), np.asarray(positions, dtype=float)
    magnetic = np.array([symbol in magnetic_elements for symbol in symbols])
    if not magnetic.any():
        raise ValueError(
            f"The structure has no magnetic element (it holds {sorted(set(symbols))}); give the candidate orders "
            "explicitly or name the magnetic elements."
        )
    layer = magnetic_layers(positions, magnetic)
    orders = {"ferromagnetic": [int(m) for m in magnetic]}
    if layer.max() >= 1:
        orders["interlayer_antiferromagnetic"] = [0 if m < 0 else (1 if m % 2 == 0 else -1) for m in layer]
    signs = {}
    for index in range(layer.max() + 1):
        sites = [int(i) for i in np.flatnonzero(layer == index)]
        colouring = _two_colouring(cell, positions, sites) if len(sites) > 1 else None
        if colouring is None:
            signs = None
            break
        signs.update(colouring)
    if signs:
        orders["neel"] = [signs.get(i, 0) for i in range(len(symbols))]
    return orders
