"""Brillouin-zone sums of the chi / alpha integrands on a uniform 2D k-grid, in one process or several.

Xiao et al., PRB 103, 045401 (2021), Eqs. 8-11: chi and alpha are zone integrals of occupation-weighted
per-level integrands. The grid is cut into pieces (FFT sub-grids of :meth:`FourierInterpolator.grid_blocks`, or runs
of k-points for the direct sums over R); each piece is interpolated, diagonalised and reduced to per-level
integrands (:func:`level_quantities`) chunk by chunk, and the levels go into occupation sums
(:mod:`aiida_orbmag.physics.level_sums`). The sums do not depend on the order of the levels (to round-off), so the
pieces may go to worker processes whose partial sums are added in a fixed order at the end.

For the k-mesh error estimate the levels are also summed per coset of a coarser grid: the points (i1, i2) of the mesh
with i_a = r_a mod s_a (``coarse_step`` (s1, s2)) form a uniform grid of (n1/s1, n2/s2) points shifted by r_a/n_a;
up to four such cosets, r_a in {0, s_a // 2} (the unshifted one and the most shifted ones), are summed at no extra
interpolation or diagonalisation cost.
Index legend: k = k-point, n = band, i j l = Cartesian x, y; levels L = (k, n) flattened k-major.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses

import numpy as np

from . import geometry
from .bands import band_basis, pt_pair_splitting
from .conventions import Conventions
from .fourier import ALL_CORES, FourierInterpolator, subgrid_offsets, subgrid_shape
from .kgrid import chunks, uniform_grid
from .level_sums import BinnedSums, ExactSums
from .model import TightBindingModel

#: Pieces of the grid per worker process (load balance and progress resolution of a parallel run).
PIECES_PER_PROCESS = 4


@dataclasses.dataclass
class SpectrumDiagnostics:
    """Running statistics of the spectrum over the grid (eV)."""

    smallest_cluster_gap: float = np.inf
    largest_degenerate_splitting: float = 0.0
    largest_pair_splitting: float = 0.0

    def update(self, energies: np.ndarray, tol: float) -> None:
        spacing = np.diff(energies, axis=-1)
        apart, together = spacing[spacing >= tol], spacing[spacing < tol]
        self.smallest_cluster_gap = min(self.smallest_cluster_gap, float(apart.min(initial=np.inf)))
        self.largest_degenerate_splitting = max(self.largest_degenerate_splitting, float(together.max(initial=0.0)))
        if energies.shape[-1] % 2 == 0:  # PT pairs need an even number of bands
            self.largest_pair_splitting = max(self.largest_pair_splitting, pt_pair_splitting(energies))

    def merge(self, other: SpectrumDiagnostics) -> None:
        self.smallest_cluster_gap = min(self.smallest_cluster_gap, other.smallest_cluster_gap)
        self.largest_degenerate_splitting = max(self.largest_degenerate_splitting, other.largest_degenerate_splitting)
        self.largest_pair_splitting = max(self.largest_pair_splitting, other.largest_pair_splitting)

    def as_dict(self) -> dict:
        return {
            "smallest_gap_between_clusters_eV": self.smallest_cluster_gap,
            "largest_splitting_inside_clusters_eV": self.largest_degenerate_splitting,
            "largest_splitting_of_band_pairs_eV": self.largest_pair_splitting,
        }


@dataclasses.dataclass(frozen=True)
class ZoneJob:
    """Everything needed to sum over any part of the grid (picklable, for worker processes).

    ``method`` is ``"exact"`` or ``"binned"`` (:mod:`.level_sums`); ``chunk`` the k-points per band-basis chunk;
    ``block`` the FFT sub-grid size in k-points, 0 for direct sums over R; ``coarse_step`` (s1, s2) the sub-grid of
    the k-mesh error estimate, or None; ``fft_workers`` the scipy.fft threads of whoever sums it (one in a worker
    process, see :func:`sum_zone`). ``points``: flat C-order indices of the only grid points to sum (direct sums,
    ``block`` 0), or None for the whole grid (:mod:`.fermi_window`).
    """

    model: TightBindingModel
    mu: np.ndarray
    temperature: np.ndarray
    kmesh: tuple[int, int]
    conventions: Conventions
    extrinsic: bool
    method: str
    chunk: int
    block: int
    coarse_step: tuple[int, int] | None = None
    fft_workers: int = ALL_CORES
    points: np.ndarray | None = None

    def __post_init__(self):
        if self.points is not None and self.block:
            raise ValueError("A ZoneJob with listed points sums them directly: give block=0.")

    @property
    def num_points(self) -> int:
        """The k-points summed: the whole grid's, or those listed in ``points``."""
        return self.kmesh[0] * self.kmesh[1] if self.points is None else len(self.points)

    def new_sums(self):
        if self.method == "exact":
            return ExactSums(self.mu, self.temperature)
        channels = ("fermi_surface",) if self.conventions.metric_form == "fermi_surface" else ()
        return BinnedSums(self.mu, self.temperature, channels + (("extrinsic",) if self.extrinsic else ()))

    def pieces(self) -> list[tuple]:
        """The grid as ``(start, stop)`` runs of k-points (direct sums) or FFT sub-grid offsets ``(s1, s2)``."""
        if self.block:
            return list(subgrid_offsets(self.kmesh, self.block))
        return [(part.start, part.stop) for part in chunks(self.num_points, self.chunk)]

    @property
    def cosets(self) -> list[tuple[int, int]]:
        """Offsets (r1, r2) of the coarse grids of the error estimate (empty without one)."""
        return [] if self.coarse_step is None else coset_offsets(self.coarse_step)

    def interpolator(self) -> FourierInterpolator:
        return FourierInterpolator(self.model, self.conventions, self.fft_workers)

    def piece_size(self, piece) -> int:
        if self.block:
            f1, f2 = subgrid_shape(self.kmesh, self.block)
            return f1 * f2
        return piece[1] - piece[0]


@dataclasses.dataclass
class ZonePartial:
    """Occupation sums over part of the grid; ``cosets``: over its points on each coarse grid of ``ZoneJob.cosets``."""

    sums: object
    cosets: list
    diagnostics: SpectrumDiagnostics

    def merge(self, other: ZonePartial) -> ZonePartial:
        self.sums.merge(other.sums)
        for mine, theirs in zip(self.cosets, other.cosets, strict=True):
            mine.merge(theirs)
        self.diagnostics.merge(other.diagnostics)
        return self


def level_quantities(wannier, conventions: Conventions, extrinsic: bool, diagnostics) -> dict:
    """Per-level (k, n flattened) arrays of one k-chunk: cluster energy (L,) eV and (L, 2) integrands.

    ``sea``: Lambda^n ((e/hbar) Å³, Eq. 11; without the metric term for the Fermi-surface form), weighted by f0 and
    s0/k_B. ``fermi_surface``: -(1/2) eps_jl v_j G^n_il ((e/hbar) Å³ eV), weighted by f0' and (s0/k_B)'.
    ``extrinsic``: v_j m^z_n ((e/hbar) eV² Å³), weighted by f0' and (s0/k_B)' (Table I).
    The metric form and degeneracy tolerance come from ``conventions``.
    """
    analytic = conventions.metric_form == "analytic"
    tol = conventions.degeneracy_tol
    bands = band_basis(wannier, tol, derivatives=analytic, connection_derivative=analytic)
    diagnostics.update(bands.energies, tol)
    connection = geometry.berry_connection(bands)
    out = {"energy": bands.cluster_energy.reshape(-1)}
    lam = geometry.lambda_first_term(bands, connection)  # (k, i, n)
    if analytic:
        lam = lam + geometry.lambda_metric_term(bands)
    else:
        g = geometry.quantum_metric(bands, connection)  # (k, i, l, n)
        v = bands.cluster_velocity  # (k, j, n)
        # -(1/2) eps_jl v_j G_il = -(1/2) (v_x G_iy - v_y G_ix): multiplies f0' (chi) or (s0/k_B)' (alpha)
        out["fermi_surface"] = (-0.5 * (v[:, None, 0] * g[:, :, 1] - v[:, None, 1] * g[:, :, 0])).transpose(0, 2, 1)
        out["fermi_surface"] = out["fermi_surface"].reshape(-1, 2)
    out["sea"] = lam.transpose(0, 2, 1).reshape(-1, 2)
    if extrinsic:
        moment = geometry.orbital_moment(bands, connection)  # (k, n)
        out["extrinsic"] = (bands.cluster_velocity * moment[:, None]).transpose(0, 2, 1).reshape(-1, 2)
    return out


def sum_pieces(job: ZoneJob, pieces, progress=None, interpolator=None) -> ZonePartial:
    """Occupation sums over the listed pieces of the grid; ``progress(k_done)`` after each chunk."""
    if interpolator is None:
        interpolator = job.interpolator()
    partial = ZonePartial(job.new_sums(), [job.new_sums() for _ in job.cosets], SpectrumDiagnostics())
    done = 0
    for kpoints, wannier in _matrices(job, interpolator, pieces):
        levels = level_quantities(wannier, job.conventions, job.extrinsic, partial.diagnostics)
        partial.sums.add(levels)
        if job.cosets:
            residue = np.repeat(_grid_index(job, kpoints) % np.array(job.coarse_step), job.model.num_wann, axis=0)
            for offset, sums in zip(job.cosets, partial.cosets, strict=True):
                on_coset = np.all(residue == offset, axis=1)
                sums.add({name: value[on_coset] for name, value in levels.items()})
        done += len(kpoints)
        if progress is not None:
            progress(done)
    return partial


def sum_zone(job: ZoneJob, processes: int = 1, progress=None) -> ZonePartial:
    """Sums over the whole grid, serially or in ``processes`` worker processes; ``progress(done_k, total_k)``.

    Each worker process runs its FFTs on one thread (its job's ``fft_workers`` set to 1): the processes share the
    cores, and their BLAS threads are the caller's business."""
    total = job.num_points
    pieces = job.pieces()
    if processes == 1 or len(pieces) == 1:
        return sum_pieces(job, pieces, None if progress is None else lambda done: progress(done, total))
    groups = [list(group) for group in _split(pieces, processes * PIECES_PER_PROCESS)]
    result, done = None, 0
    worker_job = dataclasses.replace(job, fft_workers=1)
    with concurrent.futures.ProcessPoolExecutor(processes, initializer=_start_worker, initargs=(worker_job,)) as pool:
        futures = [pool.submit(_work, group) for group in groups]
        for group, future in zip(groups, futures, strict=True):  # fixed order: the same sum whatever finishes first
            partial = future.result()
            result = partial if result is None else result.merge(partial)
            done += sum(job.piece_size(piece) for piece in group)
            if progress is not None:
                progress(done, total)
    return result


def coset_offsets(step: tuple[int, int]) -> list[tuple[int, int]]:
    """Offsets r of the coarse grids i = r mod step used by the error estimate: r_a in {0, step_a // 2}."""
    return [(r1, r2) for r1 in sorted({0, step[0] // 2}) for r2 in sorted({0, step[1] // 2})]


def _split(items: list, n_groups: int) -> list[list]:
    """Consecutive groups of nearly equal length (at most ``n_groups``, none empty)."""
    bounds = np.linspace(0, len(items), min(n_groups, len(items)) + 1).round().astype(int)
    return [items[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


_WORKER: dict = {}


def _start_worker(job: ZoneJob) -> None:
    _WORKER["job"] = job
    _WORKER["interpolator"] = job.interpolator()


def _work(pieces) -> ZonePartial:
    return sum_pieces(_WORKER["job"], pieces, interpolator=_WORKER["interpolator"])


def _matrices(job: ZoneJob, interpolator: FourierInterpolator, pieces):
    """(kpoints, Wannier-gauge matrices) of the listed pieces, in chunks of at most ``job.chunk`` k-points."""
    reciprocal = job.model.reciprocal_lattice_2d
    analytic = job.conventions.metric_form == "analytic"
    if job.block:
        yield from interpolator.grid_blocks(
            reciprocal, job.kmesh, job.block, analytic, chunk_points=job.chunk, offsets=pieces,
            connection_derivative=analytic,
        )  # fmt: skip
        return
    if job.points is None:
        kpoints = uniform_grid(reciprocal, job.kmesh)
    else:  # only the listed grid points, k = (i1/n1) b1 + (i2/n2) b2 with i = i1 n2 + i2
        indices = np.divmod(job.points, job.kmesh[1])
        kpoints = (np.stack(indices, axis=-1) / np.array(job.kmesh)) @ reciprocal
    for start, stop in pieces:
        for part in chunks(stop - start, job.chunk):
            points = kpoints[start:stop][part]
            yield points, interpolator.at(points, analytic, connection_derivative=analytic)


def _grid_index(job: ZoneJob, kpoints: np.ndarray) -> np.ndarray:
    """(k, 2) integer indices (i1, i2) on the mesh of grid k-points k = (i1/n1) b1 + (i2/n2) b2."""
    fractional = kpoints @ np.linalg.inv(job.model.reciprocal_lattice_2d)
    return np.rint(fractional * np.array(job.kmesh)).astype(np.int64) % np.array(job.kmesh)
