"""Uniform k-point grids of the 2D Brillouin zone."""

from __future__ import annotations

import numpy as np


def check_kmesh(kmesh) -> tuple[int, int]:
    """Validate a 2D k-mesh (n1, n2) of positive integers."""
    try:
        n1, n2 = (int(n) for n in kmesh)
    except (TypeError, ValueError):
        raise ValueError(f"The k-mesh must be two positive integers (n1, n2), got {kmesh!r}.") from None
    if n1 < 1 or n2 < 1 or (n1, n2) != tuple(kmesh):
        raise ValueError(f"The k-mesh must be two positive integers (n1, n2), got {kmesh!r}.")
    return n1, n2


def uniform_grid(reciprocal_2d: np.ndarray, kmesh, shift=(0.0, 0.0)) -> np.ndarray:
    """(n1 n2, 2) Cartesian k-points (1/Å) k = (i + s1)/n1 b1 + (j + s2)/n2 b2, i fastest-varying last (C order).

    :param reciprocal_2d: (2, 2) in-plane reciprocal vectors b1, b2 as rows (1/Å).
    :param shift: fractional shift (s1, s2) of the grid, in units of the grid spacing.
    """
    n1, n2 = check_kmesh(kmesh)
    f1 = (np.arange(n1) + shift[0]) / n1
    f2 = (np.arange(n2) + shift[1]) / n2
    frac = np.stack(np.meshgrid(f1, f2, indexing="ij"), axis=-1).reshape(-1, 2)
    return frac @ reciprocal_2d


def chunks(n: int, size: int):
    """Slices covering range(n) in pieces of at most ``size``."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))
