"""Orbital magnetoelectric (chi) and magnetothermal (alpha) susceptibilities on a uniform 2D k-grid.

C. Xiao, H. Liu, J. Zhao, S. A. Yang, Q. Niu, PRB 103, 045401 (2021):

    chi_i   = e sum_n int d²k/(2pi)² f0(e_n) Lambda_i^n           (Eq. 8)
    alpha_i =   sum_n int d²k/(2pi)² s0(e_n) Lambda_i^n           (Eq. 9)

with Lambda from Eq. 11 (:mod:`aiida_orbmag.physics.geometry`), summed over degenerate clusters and weighted at the
cluster energy. In reduced units (Lambda in (e/hbar) Å³, see :mod:`aiida_orbmag.physics.units`):

    chi   [(e²/hbar) Å]     = (1 / N_k A_cell) sum_{k,n} f0 Lambda
    alpha [(|e| k_B/hbar) Å] = sign(e) (1 / N_k A_cell) sum_{k,n} (s0/k_B) Lambda,     sign(e) = -1.

The metric term (e/2hbar) eps_jl d_j G_il of Lambda is integrated either analytically per k (``"analytic"``) or,
after integration by parts over the zone, on the Fermi surface (``"fermi_surface"``):
e (e/2hbar) int f0 eps_jl d_j G_il = -(e²/2hbar) sum_n int f0'(e_n) eps_jl v_j^n G^n_il (and s0' = (e - mu) f0'/T).

Extrinsic part (constant relaxation time tau; Xiao et al. Table I):

    chi_ext_j   = -e tau sum_n int f0'(e_n) v_j^n m_n^z,
    alpha_ext_j = -tau sum_n int f0'(e_n) (e_n - mu)/T v_j^n m_n^z,

in the same units, times tau/hbar (1/eV).

All chemical potentials and temperatures come from one pass over k (:mod:`aiida_orbmag.physics.zone_sums`): the
per-level integrands of each k-chunk go into occupation sums (:mod:`aiida_orbmag.physics.level_sums`), either
weighted at every (mu, T) (``occupation_method="exact"``) or binned in energy with Taylor moments, which makes many
(mu, T) almost free and gives the same sums to round-off (``"binned"``). The same pass can sum the coarser sub-grid
of every second point for an estimate of the k-mesh error, and the grid can be shared by worker processes.
"""

from __future__ import annotations

import dataclasses
import logging
import os

import numpy as np

from aiida_orbmag import __version__

from . import geometry, occupation, units
from .bands import band_basis
from .fourier import FourierInterpolator, check_conventions, subgrid_shape
from .kgrid import DEFAULT_MAX_KPOINTS, check_kmesh, chunks, uniform_grid
from .level_sums import BinnedSums
from .model import TightBindingModel
from .zone_sums import PIECES_PER_PROCESS, SpectrumDiagnostics, ZoneJob, coset_offsets, sum_zone

LOGGER = logging.getLogger(__name__)

METRIC_FORMS = ("analytic", "fermi_surface")
INTERPOLATIONS = ("auto", "fft", "direct")
#: "auto" chooses the FFT path only for sub-grids of at least this many points (and at least N_R).
MIN_FFT_BLOCK = 16
#: Largest (k, nw, nw) complex stack of a band-basis chunk (bytes).
CHUNK_STACK_BYTES = 8 * 2**20
DEFAULT_DEGENERACY_TOL_EV = 1e-5
DEFAULT_MEMORY_BYTES = 2 * 2**30
OCCUPATION_METHODS = ("auto", "binned", "exact")
#: "auto" bins the levels from this many (mu, T > 0) pairs on; below, weighting every level is as cheap.
AUTO_BINNED_PAIRS = 16


@dataclasses.dataclass(frozen=True)
class SusceptibilityResult:
    """chi (n_T, n_mu, 2) in (e²/hbar) Å and alpha (n_T, n_mu, 2) in (|e| k_B/hbar) Å, x and y components.

    ``chi_extrinsic`` / ``alpha_extrinsic`` (same shapes and units) are present when a relaxation time was given.
    ``settings`` records the conventions, ``diagnostics`` the degeneracy and gap statistics of the grid.
    With ``kmesh_error=True``, ``chi_kmesh_error`` etc. (same shapes and units, >= 0) are the estimated k-mesh errors
    of each response, from shifted grids of ``coarse_kmesh`` points (see :func:`compute_susceptibility`).
    """

    mu: np.ndarray
    temperature: np.ndarray
    chi: np.ndarray
    alpha: np.ndarray
    kmesh: tuple[int, int]
    settings: dict
    diagnostics: dict
    chi_extrinsic: np.ndarray | None = None
    alpha_extrinsic: np.ndarray | None = None
    coarse_kmesh: tuple[int, int] | None = None
    chi_kmesh_error: np.ndarray | None = None
    alpha_kmesh_error: np.ndarray | None = None
    chi_extrinsic_kmesh_error: np.ndarray | None = None
    alpha_extrinsic_kmesh_error: np.ndarray | None = None

    @property
    def chi_nm_per_ohm(self) -> np.ndarray:
        return units.chi_to_nm_per_ohm(self.chi)

    @property
    def alpha_na_nm_per_k(self) -> np.ndarray:
        return units.alpha_to_na_nm_per_k(self.alpha)

    @property
    def chi_extrinsic_nm_per_ohm(self) -> np.ndarray | None:
        return None if self.chi_extrinsic is None else units.chi_to_nm_per_ohm(self.chi_extrinsic)

    @property
    def alpha_extrinsic_na_nm_per_k(self) -> np.ndarray | None:
        return None if self.alpha_extrinsic is None else units.alpha_to_na_nm_per_k(self.alpha_extrinsic)

    @property
    def chi_kmesh_error_nm_per_ohm(self) -> np.ndarray | None:
        return None if self.chi_kmesh_error is None else units.chi_to_nm_per_ohm(self.chi_kmesh_error)

    @property
    def alpha_kmesh_error_na_nm_per_k(self) -> np.ndarray | None:
        return None if self.alpha_kmesh_error is None else units.alpha_to_na_nm_per_k(self.alpha_kmesh_error)

    def metadata(self) -> dict:
        """JSON-friendly description of how the numbers were obtained (and the largest estimated k-mesh errors)."""
        data = {"kmesh": list(self.kmesh), **self.settings, "diagnostics": self.diagnostics, "version": __version__}
        if self.coarse_kmesh is not None:
            data["kmesh_error"] = {
                "estimate": "max over shifted coarse grids c of |X(kmesh) - X_c|, each c a sub-grid of kmesh",
                "coarse_kmesh": list(self.coarse_kmesh),
                "max_chi_error_nm_per_ohm": float(self.chi_kmesh_error_nm_per_ohm.max()),
                "max_alpha_error_nA_nm_per_K": float(self.alpha_kmesh_error_na_nm_per_k.max()),
            }
        return data


@dataclasses.dataclass(frozen=True)
class LambdaMap:
    """k-resolved Lambda_i(k) = sum_n f0(e_n) Lambda_i^n(k) in (e/hbar) Å³ at one mu (eV) and T (K), (nk, 2).

    Xiao et al. 2021, Fig. 2c,d. ``kpoints`` (nk, 2) Cartesian 1/Å; for a grid, ``kmesh`` gives its shape (C order).
    """

    kpoints: np.ndarray
    values: np.ndarray
    mu: float
    temperature: float
    kmesh: tuple[int, int] | None


def _check_inputs(model, mu, temperature, kmesh, degeneracy_tol, metric_form, relaxation_time_fs, max_kpoints):
    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    temperature = np.atleast_1d(np.asarray(temperature, dtype=float))
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError("Give at least one chemical potential (eV) as a 1D list.")
    if temperature.ndim != 1 or temperature.size == 0:
        raise ValueError("Give at least one temperature (K) as a 1D list.")
    if not np.all(np.isfinite(mu)):
        raise ValueError(f"Chemical potentials must be finite numbers (eV), got {mu.tolist()}.")
    if not np.all(np.isfinite(temperature)) or np.any(temperature < 0):
        raise ValueError(f"Temperatures must be finite and >= 0 K, got {temperature.tolist()}.")
    if metric_form not in METRIC_FORMS:
        raise ValueError(f"Unknown metric form {metric_form!r}; use one of {METRIC_FORMS}.")
    if relaxation_time_fs is not None and not (np.isfinite(relaxation_time_fs) and relaxation_time_fs > 0):
        raise ValueError(f"The relaxation time must be a positive number of fs, got {relaxation_time_fs}.")
    needs_positive_t = metric_form == "fermi_surface" or relaxation_time_fs is not None
    if needs_positive_t and np.any(temperature == 0):
        raise ValueError(
            "The Fermi-surface metric form and the extrinsic (relaxation-time) response need temperatures > 0 K; "
            "use the analytic metric form for T = 0, or a small positive temperature."
        )
    if not (np.isfinite(degeneracy_tol) and degeneracy_tol >= 0):
        raise ValueError(f"The degeneracy tolerance must be a non-negative energy in eV, got {degeneracy_tol}.")
    if not isinstance(model, TightBindingModel):
        raise ValueError(f"Expected a TightBindingModel, got {type(model).__name__}.")
    return mu, temperature, check_kmesh(kmesh, max_kpoints)


def _useful_processes(processes: int, num_pieces: int) -> int:
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


def _check_finite(responses: dict) -> None:
    bad = sorted(name for name, value in responses.items() if value is not None and not np.all(np.isfinite(value)))
    if bad:
        raise ValueError(
            f"The computed {', '.join(bad)} are not finite (NaN or infinite): the model's numbers are out of range "
            "(check its lattice vectors, hoppings and position matrix for absurd values)."
        )


def _chunk_size(num_wann: int, n_mu_exact: int, memory_bytes: int) -> int:
    """k-points per band-basis chunk: about 60 complex (nw, nw) matrices plus four (levels, n_mu) occupation
    matrices of the exact method per k-point within a quarter of ``memory_bytes``, and no stack of (nw, nw)
    matrices above CHUNK_STACK_BYTES (at N_w = 112, chunks of a 256 MiB budget ran at 14 ms/k against 19-29 ms/k
    for 2 GiB)."""
    per_k = 16 * num_wann**2 * 60 + 8 * num_wann * n_mu_exact * 4
    return max(1, min((memory_bytes // 4) // per_k, CHUNK_STACK_BYTES // (16 * num_wann**2)))


def _occupation_method(method: str, mu, temperature, n_channels: int, memory_bytes: int, copies: int = 1) -> str:
    """``"exact"`` or ``"binned"`` for the T > 0 sums (see :mod:`aiida_orbmag.physics.level_sums`); ``copies``:
    histograms held at once (one per coarse grid of the k-mesh error estimate, plus one)."""
    if method not in OCCUPATION_METHODS:
        raise ValueError(f"Unknown occupation method {method!r}; use one of {OCCUPATION_METHODS}.")
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


def _error_subgrid(kmesh: tuple[int, int]) -> tuple[int, int]:
    """Step (s1, s2) of the coarser grid of the k-mesh error estimate: the smallest prime factor of each n_i."""
    step = tuple(next(p for p in range(2, n + 1) if n % p == 0) if n > 1 else 1 for n in kmesh)
    if step == (1, 1):
        raise ValueError("The k-mesh error estimate needs a mesh with more than one point along some axis.")
    return step


def _plan(model, mu, temperature, kmesh, memory_bytes, interpolation, processes, **job) -> ZoneJob:
    """The ZoneJob: chunk size, FFT sub-grid size (0: direct sums over R), for one or several processes."""
    memory_bytes = memory_bytes // processes
    exact_weights = job["method"] == "exact" and np.any(temperature > 0)
    chunk = _chunk_size(model.num_wann, len(mu) if exact_weights else 0, memory_bytes)
    block = max(1, (memory_bytes // 2) // (12 * 16 * model.num_wann**2))
    n_k = kmesh[0] * kmesh[1]
    if processes > 1:  # enough sub-grids (or runs of k-points) to share out
        block = min(block, max(1, n_k // (PIECES_PER_PROCESS * processes)))
        chunk = min(chunk, -(-n_k // (PIECES_PER_PROCESS * processes)))
    f1, f2 = subgrid_shape(kmesh, block)
    worth_it = f1 * f2 >= min(max(MIN_FFT_BLOCK, model.num_r), n_k)
    use_fft = interpolation == "fft" or (interpolation == "auto" and worth_it)
    return ZoneJob(model, mu, temperature, kmesh, chunk=chunk, block=block if use_fft else 0, **job)


def compute_susceptibility(
    model: TightBindingModel,
    mu,
    temperature,
    kmesh,
    *,
    degeneracy_tol: float = DEFAULT_DEGENERACY_TOL_EV,
    convention: str = "I",
    position_operator: str = "full",
    metric_form: str = "analytic",
    relaxation_time_fs: float | None = None,
    max_out_of_plane_hopping: float = 1e-3,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    interpolation: str = "auto",
    occupation_method: str = "auto",
    kmesh_error: bool = False,
    progress=None,
    processes: int = 1,
    max_kpoints: int = DEFAULT_MAX_KPOINTS,
) -> SusceptibilityResult:
    """Intrinsic chi(mu, T) ((e²/hbar) Å) and alpha(mu, T) ((|e| k_B/hbar) Å), Xiao et al. 2021 Eqs. 8-11.

    :param mu: chemical potentials (eV, on the model's energy scale).
    :param temperature: temperatures (K); T = 0 is allowed for the analytic metric form without extrinsic part.
    :param kmesh: (n1, n2) uniform Gamma-centred grid.
    :param degeneracy_tol: bands closer than this (eV) form one degenerate cluster.
    :param convention: Bloch phase convention, ``"I"`` (orbital centres in the phases) or ``"II"``.
    :param position_operator: ``"full"`` Wannier position matrix or ``"diagonal"`` (tight-binding approximation).
    :param metric_form: ``"analytic"`` (per-k derivative of the metric) or ``"fermi_surface"``.
    :param relaxation_time_fs: if given, also the extrinsic chi and alpha for this relaxation time (fs).
    :param max_out_of_plane_hopping: largest hopping along a3 (eV) accepted as a 2D model.
    :param memory_bytes: bound on the working arrays (all processes together).
    :param interpolation: ``"fft"`` (sub-grids by FFT, :meth:`FourierInterpolator.grid_blocks`), ``"direct"``
        (sums over R per k-point) or ``"auto"`` (FFT when the mesh splits into sub-grids of at least N_R and 16
        points, so that folding the hoppings is shared by enough k-points). Both give the same numbers to
        round-off.
    :param occupation_method: how the T > 0 occupation sums are formed (:mod:`aiida_orbmag.physics.level_sums`):
        ``"exact"`` (weights of every level at every mu and T, cost ∝ n_mu n_T per k-point), ``"binned"``
        (energy histogram of Taylor moments, cost per k-point independent of n_mu and n_T, same sums to
        round-off) or ``"auto"`` (binned from AUTO_BINNED_PAIRS (mu, T > 0) pairs on, when its histogram fits in
        an eighth of ``memory_bytes``). T = 0 always uses an exact cumulative sum.
    :param kmesh_error: also estimate the k-mesh error of every response (``chi_kmesh_error`` etc., same units).
        The mesh is the union of s1 s2 shifted coarse grids of (n1/s1, n2/s2) points (s_a the smallest prime
        factor of n_a, 2 for even meshes) and X(kmesh) is their mean; the estimate is max_c |X(kmesh) - X_c| over
        up to four of them (unshifted and most shifted, :func:`~.zone_sums.coset_offsets`), summed in the same
        pass at no extra diagonalisation. It measures the sampling error of a grid of the coarse size, so it bounds the
        error of ``kmesh`` whenever the error falls as the mesh is refined; several shifted grids make an
        accidental agreement (one nested coarse grid close to the fine one) unlikely. Exponential convergence
        (insulators, metals at T > 0 once k_B T is resolved) makes it a large overestimate; pre-asymptotic meshes
        (k_B T not resolved, or T = 0 in a metal) can beat it.
    :param progress: callable ``progress(done_k, total_k)``, called as chunks (or, with processes, pieces) finish.
    :param processes: worker processes (concurrent.futures) sharing the k-grid; the same results to round-off.
        Each process runs its own BLAS threads: keep processes x BLAS threads (OMP_NUM_THREADS,
        OPENBLAS_NUM_THREADS) at or below the number of cores (the workers' FFTs use one thread each). More
        processes than cores or than pieces of the grid are not started (a log message says how many run).
    :param max_kpoints: largest k-mesh accepted (n1 n2); a larger one is refused with its estimated cost.

    A result that is not finite (NaN or infinite, from a model whose numbers are out of range) is a ValueError.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Unknown interpolation {interpolation!r}; use one of {INTERPOLATIONS}.")
    if isinstance(processes, bool) or not isinstance(processes, int | np.integer) or processes < 1:
        raise ValueError(f"processes must be a positive integer, got {processes!r}.")
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable progress(done_k, total_k) or None.")
    mu, temperature, kmesh = _check_inputs(
        model, mu, temperature, kmesh, degeneracy_tol, metric_form, relaxation_time_fs, max_kpoints
    )
    model.check_two_dimensional(max_out_of_plane_hopping)
    check_conventions(model, convention, position_operator)
    extrinsic = relaxation_time_fs is not None
    n_channels = 1 + (metric_form == "fermi_surface") + extrinsic
    coarse_step = _error_subgrid(kmesh) if kmesh_error else None
    # histograms alive at once: per process one per coarse grid plus one, and the parent's merged set
    copies = (1 + (len(coset_offsets(coarse_step)) if kmesh_error else 0)) * (processes + (processes > 1))
    method = _occupation_method(occupation_method, mu, temperature, n_channels, memory_bytes, copies)
    job = _plan(
        model, mu, temperature, kmesh, memory_bytes, interpolation, int(processes), degeneracy_tol=degeneracy_tol,
        convention=convention, position_operator=position_operator, metric_form=metric_form, extrinsic=extrinsic,
        method=method, coarse_step=coarse_step,
    )  # fmt: skip
    processes = _useful_processes(int(processes), len(job.pieces()))
    with np.errstate(all="ignore"):  # a non-finite result is reported as such below, not as numpy warnings
        partial = sum_zone(job, processes, progress)
        responses = _normalise(partial.sums.totals(), kmesh, model, relaxation_time_fs)
    _check_finite(responses)
    coarse_kmesh, errors = _kmesh_errors(job, partial, responses, relaxation_time_fs) if kmesh_error else (None, {})
    settings = {
        "degeneracy_tol_eV": degeneracy_tol,
        "bloch_convention": convention,
        "position_operator": position_operator,
        "metric_form": metric_form,
        "relaxation_time_fs": relaxation_time_fs,
        "electron_charge_sign": units.ELECTRON_CHARGE_SIGN,
        "out_of_plane_hopping_eV": model.out_of_plane_hopping(),
        "occupation_method": method,
    }
    _warn_about_degeneracy(partial.diagnostics, degeneracy_tol)
    return SusceptibilityResult(
        mu=mu,
        temperature=temperature,
        kmesh=kmesh,
        settings=settings,
        diagnostics=partial.diagnostics.as_dict(),
        coarse_kmesh=coarse_kmesh,
        **responses,
        **errors,
    )


def _kmesh_errors(job: ZoneJob, partial, responses: dict, relaxation_time_fs) -> tuple[tuple[int, int], dict]:
    """(coarse mesh, {"chi_kmesh_error": ...}): max over the coarse grids c of |X(kmesh) - X_c|, same units as X."""
    coarse_kmesh = (job.kmesh[0] // job.coarse_step[0], job.kmesh[1] // job.coarse_step[1])
    cosets = [_normalise(sums.totals(), coarse_kmesh, job.model, relaxation_time_fs) for sums in partial.cosets]
    present = [name for name, value in responses.items() if value is not None]
    errors = {
        f"{name}_kmesh_error": np.max([np.abs(responses[name] - coset[name]) for coset in cosets], axis=0)
        for name in present
    }
    return coarse_kmesh, errors


def _normalise(sums: dict, kmesh, model, relaxation_time_fs) -> dict:
    """Zone sums -> chi ((e²/hbar) Å), alpha ((|e| k_B/hbar) Å) and their extrinsic parts (None without tau)."""
    norm = 1.0 / (kmesh[0] * kmesh[1] * model.cell_area)
    out = {
        "chi": sums["chi"] * norm,
        "alpha": units.ELECTRON_CHARGE_SIGN * sums["alpha"] * norm + 0.0,  # + 0.0: no -0.0 at T = 0
        "chi_extrinsic": None,
        "alpha_extrinsic": None,
    }
    if relaxation_time_fs is not None:
        tau = units.relaxation_time_to_inverse_ev(relaxation_time_fs)
        out["chi_extrinsic"] = -tau * sums["chi_ext"] * norm
        out["alpha_extrinsic"] = -units.ELECTRON_CHARGE_SIGN * tau * sums["alpha_ext"] * norm
    return out


def _warn_about_degeneracy(diagnostics: SpectrumDiagnostics, tol: float) -> None:
    if diagnostics.smallest_cluster_gap >= 10 * tol:
        return
    if diagnostics.largest_pair_splitting < tol:  # PT pairs are clusters already: what remains are true crossings
        LOGGER.warning(
            "Distinct band clusters come as close as %.2e eV (degeneracy tolerance %.1e eV): terms near such "
            "crossings are large and converge slowly with the k-mesh; check the k-mesh error.",
            diagnostics.smallest_cluster_gap,
            tol,
        )
    else:
        LOGGER.warning(
            "Bands as close as %.2e eV are treated as distinct (degeneracy tolerance %.1e eV). If the model should "
            "be PT symmetric, raise the tolerance above the largest pair splitting (%.2e eV).",
            diagnostics.smallest_cluster_gap,
            tol,
            diagnostics.largest_pair_splitting,
        )


def lambda_map(
    model: TightBindingModel,
    mu: float,
    temperature: float = 0.0,
    *,
    kmesh=None,
    kpoints=None,
    degeneracy_tol: float = DEFAULT_DEGENERACY_TOL_EV,
    convention: str = "I",
    position_operator: str = "full",
    max_out_of_plane_hopping: float = 1e-3,
) -> LambdaMap:
    """k-resolved Lambda(k) = sum_n f0(e_n) Lambda^n(k), (e/hbar) Å³ (Xiao et al. 2021, Eq. 11 and Fig. 2c,d).

    Give either ``kmesh`` (n1, n2) for the uniform grid or ``kpoints`` (nk, 2) Cartesian 1/Å. The analytic metric
    derivative is used, so the map is local in k (its zone sum times e/(N_k A_cell) is chi at this mu and T).
    """
    if (kmesh is None) == (kpoints is None):
        raise ValueError("Give exactly one of kmesh (n1, n2) or kpoints (nk, 2).")
    _check_inputs(model, [mu], [temperature], kmesh or (1, 1), degeneracy_tol, "analytic", None, DEFAULT_MAX_KPOINTS)
    model.check_two_dimensional(max_out_of_plane_hopping)
    if kmesh is not None:
        kmesh = check_kmesh(kmesh, DEFAULT_MAX_KPOINTS)
        kpoints = uniform_grid(model.reciprocal_lattice_2d, kmesh)
    kpoints = np.asarray(kpoints, dtype=float)
    if kpoints.ndim != 2 or kpoints.shape[1] != 2:
        raise ValueError(f"kpoints must have shape (nk, 2) (Cartesian 1/Å), got {kpoints.shape}.")
    interpolator = FourierInterpolator(model, convention, position_operator)
    values = np.empty((len(kpoints), 2))
    for part in chunks(len(kpoints), _chunk_size(model.num_wann, 1, DEFAULT_MEMORY_BYTES)):
        bands = band_basis(interpolator.at(kpoints[part]), degeneracy_tol)
        weights = occupation.fermi_dirac(bands.cluster_energy, mu, temperature)  # (k, n)
        values[part] = np.einsum("kin,kn->ki", geometry.lambda_tensor(bands), weights)
    return LambdaMap(kpoints=kpoints, values=values, mu=float(mu), temperature=float(temperature), kmesh=kmesh)
