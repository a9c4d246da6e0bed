"""Uniform k-point grids of the 2D Brillouin zone."""

from __future__ import annotations

import numpy as np

#: Largest number of k-points a computation accepts unless the caller raises it on purpose (``max_kpoints``): 4e6
#: k-points (2000 x 2000) take hours at 100 Wannier functions; beyond, the cost is stated and the mesh refused.
DEFAULT_MAX_KPOINTS = 4_000_000
#: Most chemical potentials a run accepts (each (mu, T) pair is an output row; 1e5 x 10 T is 16 MB of chi).
MAX_CHEMICAL_POTENTIALS = 100_000


def check_kmesh(kmesh, max_kpoints: int | None = None) -> tuple[int, int]:
    """Validate a 2D k-mesh (n1, n2) of positive integers (not booleans), at most ``max_kpoints`` points in all."""
    values = tuple(kmesh) if isinstance(kmesh, list | tuple | np.ndarray) else ()
    if len(values) != 2 or any(isinstance(n, bool | np.bool_) for n in values):
        raise ValueError(f"The k-mesh must be two positive integers (n1, n2), got {kmesh!r}.")
    try:
        n1, n2 = (int(n) for n in values)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"The k-mesh must be two positive integers (n1, n2), got {kmesh!r}.") from None
    if n1 < 1 or n2 < 1 or (n1, n2) != values:
        raise ValueError(f"The k-mesh must be two positive integers (n1, n2), got {kmesh!r}.")
    if max_kpoints is not None and n1 * n2 > max_kpoints:
        raise ValueError(
            f"The k-mesh {n1} x {n2} has {n1 * n2:.3g} k-points, more than the {max_kpoints:.3g} accepted: at about "
            "a millisecond per k-point for 30 Wannier functions (tens for 100) that is "
            f"{n1 * n2 * 1e-3 / 3600:.3g} hours or more. Use a smaller mesh, or raise max_kpoints on purpose."
        )
    return n1, n2


def divisors(n: int) -> list[int]:
    """The divisors of ``n`` >= 1, ascending, in O(sqrt n)."""
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


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
