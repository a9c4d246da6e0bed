"""How a zone sum is run: the execution settings (same numbers to round-off) and the plan they give.

:class:`Execution` holds what a caller may tune without changing the physics (memory, interpolation path,
occupation method, worker processes, FFT threads, the largest mesh accepted); :func:`plan_zone_job` turns it, with
the :class:`~aiida_orbmag.physics.conventions.Conventions` of the run, into the
:class:`~aiida_orbmag.physics.zone_sums.ZoneJob` that every process sums its part of the grid with.
"""

from __future__ import annotations

import dataclasses
import logging
import os

import numpy as np

from .conventions import Conventions
from .fourier import ALL_CORES, subgrid_shape
from .kgrid import DEFAULT_MAX_KPOINTS
from .level_sums import BinnedSums
from .model import TightBindingModel
from .zone_sums import PIECES_PER_PROCESS, ZoneJob, coset_offsets

LOGGER = logging.getLogger(__name__)

INTERPOLATIONS = ("auto", "fft", "direct")
OCCUPATION_METHODS = ("auto", "binned", "exact")
#: "auto" chooses the FFT path only for sub-grids of at least this many points (and at least N_R).
MIN_FFT_BLOCK = 16
#: Largest (k, nw, nw) complex stack of a band-basis chunk (bytes).
CHUNK_STACK_BYTES = 8 * 2**20
DEFAULT_MEMORY_BYTES = 2 * 2**30
#: "auto" bins the levels from this many (mu, T > 0) pairs on; below, weighting every level is as cheap.
AUTO_BINNED_PAIRS = 16


@dataclasses.dataclass(frozen=True)
class Execution:
    """Execution settings of :func:`~aiida_orbmag.physics.response.compute_susceptibility`: all give the same
    numbers to round-off.

    - ``memory_bytes``: bound on the working arrays (all processes together);
    - ``interpolation``: ``"fft"`` (sub-grids by FFT, :meth:`~.fourier.FourierInterpolator.grid_blocks`),
      ``"direct"`` (sums over R per k-point) or ``"auto"`` (FFT when the mesh splits into sub-grids of at least N_R
      and :data:`MIN_FFT_BLOCK` points, so that folding the hoppings is shared by enough k-points);
    - ``occupation_method``: how the T > 0 occupation sums are formed (:mod:`aiida_orbmag.physics.level_sums`):
      ``"exact"`` (weights of every level at every mu and T, cost ∝ n_mu n_T per k-point), ``"binned"`` (energy
      histogram of Taylor moments, cost per k-point independent of n_mu and n_T) or ``"auto"`` (binned from
      :data:`AUTO_BINNED_PAIRS` (mu, T > 0) pairs on, when its histogram fits in an eighth of ``memory_bytes``);
      T = 0 always uses an exact cumulative sum;
    - ``processes``: worker processes (concurrent.futures) sharing the k-grid. Each runs its own BLAS threads: keep
      processes x BLAS threads (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS) at or below the number of cores. More
      processes than cores or than pieces of the grid are not started (a log message says how many run);
    - ``fft_workers``: scipy.fft threads of a serial run (``ALL_CORES`` = -1: all cores); worker processes use one;
    - ``max_kpoints``: largest k-mesh accepted (n1 n2); a larger one is refused with its estimated cost.
    """

    memory_bytes: int = DEFAULT_MEMORY_BYTES
    interpolation: str = "auto"
    occupation_method: str = "auto"
    processes: int = 1
    fft_workers: int = ALL_CORES
    max_kpoints: int = DEFAULT_MAX_KPOINTS

    def __post_init__(self):
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"Unknown interpolation {self.interpolation!r}; use one of {INTERPOLATIONS}.")
        if self.occupation_method not in OCCUPATION_METHODS:
            raise ValueError(f"Unknown occupation method {self.occupation_method!r}; use one of {OCCUPATION_METHODS}.")
        for name in ("processes", "memory_bytes", "max_kpoints"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if isinstance(self.fft_workers, bool) or not isinstance(self.fft_workers, int) or self.fft_workers == 0:
            raise ValueError(f"fft_workers must be a non-zero integer (-1: all cores), got {self.fft_workers!r}.")


DEFAULT_EXECUTION = Execution()


def plan_zone_job(
    model: TightBindingModel,
    mu: np.ndarray,
    temperature: np.ndarray,
    kmesh: tuple[int, int],
    conventions: Conventions,
    execution: Execution,
    extrinsic: bool,
    kmesh_error: bool,
    points: np.ndarray | None = None,
) -> ZoneJob:
    """The ZoneJob of a run: occupation method, k-mesh error sub-grid, chunk size and FFT sub-grid size (0: direct
    sums over R), for one process or several. ``points``: flat indices of the only grid points to sum (direct sums;
    :mod:`.fermi_window`), or None for the whole grid."""
    n_channels = 1 + (conventions.metric_form == "fermi_surface") + extrinsic
    coarse_step = error_subgrid(kmesh) if kmesh_error else None
    processes = int(execution.processes)
    # histograms alive at once: per process one per coarse grid plus one, and the parent's merged set
    copies = (1 + (len(coset_offsets(coarse_step)) if kmesh_error else 0)) * (processes + (processes > 1))
    method = occupation_method(execution, mu, temperature, n_channels, copies)
    memory_bytes = execution.memory_bytes // processes
    exact_weights = method == "exact" and np.any(temperature > 0)
    chunk = chunk_size(model.num_wann, len(mu) if exact_weights else 0, memory_bytes)
    block = max(1, (memory_bytes // 2) // (12 * 16 * model.num_wann**2))
    n_k = kmesh[0] * kmesh[1] if points is None else len(points)
    if processes > 1:  # enough sub-grids (or runs of k-points) to share out
        block = min(block, max(1, n_k // (PIECES_PER_PROCESS * processes)))
        chunk = min(chunk, -(-n_k // (PIECES_PER_PROCESS * processes)))
    f1, f2 = subgrid_shape(kmesh, block)
    worth_it = f1 * f2 >= min(max(MIN_FFT_BLOCK, model.num_r), n_k)
    use_fft = points is None and (execution.interpolation == "fft" or (execution.interpolation == "auto" and worth_it))
    return ZoneJob(
        model, mu, temperature, kmesh, conventions, extrinsic=extrinsic, method=method, chunk=chunk,
        block=block if use_fft else 0, coarse_step=coarse_step, fft_workers=execution.fft_workers, points=points,
    )  # fmt: skip


def useful_processes(processes: int, num_pieces: int) -> int:
    """``processes`` capped at the cores and at the pieces of the grid, with a log message when capped."""
    useful = max(1, min(processes, os.cpu_count() or 1, num_pieces))
    if useful < processes:
        LOGGER.warning(
            "Running %d worker processes instead of %d (%d cores, %d pieces of the k-grid).",
            useful,
            processes,
            os.cpu_count() or 1,
            num_pieces,
        )
    return useful


def chunk_size(num_wann: int, n_mu_exact: int, memory_bytes: int) -> int:
    """k-points per band-basis chunk: about 60 complex (nw, nw) matrices plus four (levels, n_mu) occupation
    matrices of the exact method per k-point within a quarter of ``memory_bytes``, and no stack of (nw, nw)
    matrices above CHUNK_STACK_BYTES (at N_w = 112, chunks of a 256 MiB budget ran at 14 ms/k against 19-29 ms/k
    for 2 GiB)."""
    per_k = 16 * num_wann**2 * 60 + 8 * num_wann * n_mu_exact * 4
    return max(1, min((memory_bytes // 4) // per_k, CHUNK_STACK_BYTES // (16 * num_wann**2)))


def occupation_method(execution: Execution, mu, temperature, n_channels: int, copies: int = 1) -> str:
    """``"exact"`` or ``"binned"`` for the T > 0 sums (see :mod:`aiida_orbmag.physics.level_sums`); ``copies``:
    histograms held at once (one per coarse grid of the k-mesh error estimate, plus one)."""
    method, memory_bytes = execution.occupation_method, execution.memory_bytes
    n_pairs = len(mu) * int(np.count_nonzero(temperature > 0))
    if method == "exact" or n_pairs == 0:
        return "exact"
    fits = copies * BinnedSums.histogram_bytes(mu, temperature, n_channels) <= memory_bytes // 8
    if method == "binned" and not fits:
        raise ValueError(
            "The binned occupation sums need a histogram of bins k_B T_min wide over the whole mu range, which "
            f"exceeds {memory_bytes // 8} bytes here (very low temperatures over a wide mu range); use "
            "occupation_method='exact' or raise memory_bytes."
        )
    return "binned" if method == "binned" or (fits and n_pairs >= AUTO_BINNED_PAIRS) else "exact"


def error_subgrid(kmesh: tuple[int, int]) -> tuple[int, int]:
    """Step (s1, s2) of the coarser grid of the k-mesh error estimate: the smallest prime factor of each n_i."""
    step = tuple(next(p for p in range(2, n + 1) if n % p == 0) if n > 1 else 1 for n in kmesh)
    if step == (1, 1):
        raise ValueError("The k-mesh error estimate needs a mesh with more than one point along some axis.")
    return step
