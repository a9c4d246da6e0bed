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

import numpy as np

from aiida_orbmag import __version__

from . import geometry, occupation, units
from .bands import band_basis
from .conventions import DEFAULT_CONVENTIONS, Conventions
from .fourier import FourierInterpolator
from .kgrid import DEFAULT_MAX_KPOINTS, check_kmesh, chunks, uniform_grid
from .model import TightBindingModel
from .plan import DEFAULT_EXECUTION, DEFAULT_MEMORY_BYTES, Execution, chunk_size, plan_zone_job, useful_processes
from .zone_sums import SpectrumDiagnostics, ZoneJob, sum_zone

LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SusceptibilityResult:
    """chi (n_T, n_mu, 2) in (e²/hbar) Å and alpha (n_T, n_mu, 2) in (|e| k_B/hbar) Å, x and y components.

    ``chi_extrinsic`` / ``alpha_extrinsic`` (same shapes and units) are present when a relaxation time was given.
    ``settings`` records the conventions (JSON-friendly; ``conventions`` is the object itself), ``diagnostics`` the
    degeneracy and gap statistics of the grid.
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
    conventions: Conventions = DEFAULT_CONVENTIONS

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


def _check_inputs(model, mu, temperature, kmesh, conventions: Conventions, relaxation_time_fs, max_kpoints):
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
    if not isinstance(conventions, Conventions):
        raise ValueError(f"conventions must be a Conventions object, got {type(conventions).__name__}.")
    if relaxation_time_fs is not None and not (np.isfinite(relaxation_time_fs) and relaxation_time_fs > 0):
        raise ValueError(f"The relaxation time must be a positive number of fs, got {relaxation_time_fs}.")
    needs_positive_t = conventions.metric_form == "fermi_surface" or relaxation_time_fs is not None
    if needs_positive_t and np.any(temperature == 0):
        raise ValueError(
            "The Fermi-surface metric form and the extrinsic (relaxation-time) response need temperatures > 0 K; "
            "use the analytic metric form for T = 0, or a small positive temperature."
        )
    if not isinstance(model, TightBindingModel):
        raise ValueError(f"Expected a TightBindingModel, got {type(model).__name__}.")
    kmesh = check_kmesh(kmesh, max_kpoints)
    conventions.check_model(model)
    return mu, temperature, kmesh


def _check_finite(responses: dict) -> None:
    bad = sorted(name for name, value in responses.items() if value is not None and not np.all(np.isfinite(value)))
    if bad:
        raise ValueError(
            f"The computed {', '.join(bad)} are not finite (NaN or infinite): the model's numbers are out of range "
            "(check its lattice vectors, hoppings and position matrix for absurd values)."
        )


def compute_susceptibility(
    model: TightBindingModel,
    mu,
    temperature,
    kmesh,
    *,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    relaxation_time_fs: float | None = None,
    kmesh_error: bool = False,
    execution: Execution = DEFAULT_EXECUTION,
    progress=None,
) -> SusceptibilityResult:
    """Intrinsic chi(mu, T) ((e²/hbar) Å) and alpha(mu, T) ((|e| k_B/hbar) Å), Xiao et al. 2021 Eqs. 8-11.

    :param mu: chemical potentials (eV, on the model's energy scale).
    :param temperature: temperatures (K); T = 0 is allowed for the analytic metric form without extrinsic part.
    :param kmesh: (n1, n2) uniform Gamma-centred grid.
    :param conventions: Bloch convention, position operator, metric form, degeneracy tolerance (eV) and the largest
        out-of-plane hopping (eV) of a 2D model (:class:`~aiida_orbmag.physics.conventions.Conventions`).
    :param relaxation_time_fs: if given, also the extrinsic chi and alpha for this relaxation time (fs).
    :param kmesh_error: also estimate the k-mesh error of every response (``chi_kmesh_error`` etc., same units).
        The mesh is the union of s1 s2 shifted coarse grids of (n1/s1, n2/s2) points (s_a the smallest prime
        factor of n_a, 2 for even meshes) and X(kmesh) is their mean; the estimate is max_c |X(kmesh) - X_c| over
        up to four of them (unshifted and most shifted, :func:`~.zone_sums.coset_offsets`), summed in the same
        pass at no extra diagonalisation. It measures the sampling error of a grid of the coarse size, so it bounds the
        error of ``kmesh`` whenever the error falls as the mesh is refined; several shifted grids make an
        accidental agreement (one nested coarse grid close to the fine one) unlikely. Exponential convergence
        (insulators, metals at T > 0 once k_B T is resolved) makes it a large overestimate; pre-asymptotic meshes
        (k_B T not resolved, or T = 0 in a metal) can beat it.
    :param execution: memory bound, interpolation path, occupation method, worker processes, FFT threads and the
        largest mesh accepted (:class:`~aiida_orbmag.physics.plan.Execution`); the same results to round-off.
    :param progress: callable ``progress(done_k, total_k)``, called as chunks (or, with processes, pieces) finish.

    A result that is not finite (NaN or infinite, from a model whose numbers are out of range) is a ValueError.
    """
    if not isinstance(execution, Execution):
        raise ValueError(f"execution must be an Execution object, got {type(execution).__name__}.")
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable progress(done_k, total_k) or None.")
    mu, temperature, kmesh = _check_inputs(
        model, mu, temperature, kmesh, conventions, relaxation_time_fs, execution.max_kpoints
    )
    extrinsic = relaxation_time_fs is not None
    job = plan_zone_job(model, mu, temperature, kmesh, conventions, execution, extrinsic, kmesh_error)
    processes = useful_processes(int(execution.processes), len(job.pieces()))
    with np.errstate(all="ignore"):  # a non-finite result is reported as such below, not as numpy warnings
        partial = sum_zone(job, processes, progress)
        responses = _normalise(partial.sums.totals(), kmesh, model, relaxation_time_fs)
    _check_finite(responses)
    coarse_kmesh, errors = _kmesh_errors(job, partial, responses, relaxation_time_fs) if kmesh_error else (None, {})
    settings = {
        **conventions.as_settings(),
        "relaxation_time_fs": relaxation_time_fs,
        "electron_charge_sign": units.ELECTRON_CHARGE_SIGN,
        "out_of_plane_hopping_eV": model.out_of_plane_hopping(),
        "occupation_method": job.method,
    }
    _warn_about_degeneracy(partial.diagnostics, conventions.degeneracy_tol)
    return SusceptibilityResult(
        mu=mu,
        temperature=temperature,
        kmesh=kmesh,
        settings=settings,
        diagnostics=partial.diagnostics.as_dict(),
        coarse_kmesh=coarse_kmesh,
        conventions=conventions,
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
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> LambdaMap:
    """k-resolved Lambda(k) = sum_n f0(e_n) Lambda^n(k), (e/hbar) Å³ (Xiao et al. 2021, Eq. 11 and Fig. 2c,d).

    Give either ``kmesh`` (n1, n2) for the uniform grid or ``kpoints`` (nk, 2) Cartesian 1/Å. The analytic metric
    derivative is used whatever ``conventions.metric_form`` (the map is local in k; its zone sum times
    e/(N_k A_cell) is chi at this mu and T with either form); the other conventions are those of the run.
    """
    if (kmesh is None) == (kpoints is None):
        raise ValueError("Give exactly one of kmesh (n1, n2) or kpoints (nk, 2).")
    if isinstance(conventions, Conventions):
        conventions = conventions.replace(metric_form="analytic")
    _check_inputs(model, [mu], [temperature], kmesh or (1, 1), conventions, None, DEFAULT_MAX_KPOINTS)
    if kmesh is not None:
        kmesh = check_kmesh(kmesh, DEFAULT_MAX_KPOINTS)
        kpoints = uniform_grid(model.reciprocal_lattice_2d, kmesh)
    kpoints = np.asarray(kpoints, dtype=float)
    if kpoints.ndim != 2 or kpoints.shape[1] != 2:
        raise ValueError(f"kpoints must have shape (nk, 2) (Cartesian 1/Å), got {kpoints.shape}.")
    interpolator = FourierInterpolator(model, conventions)
    values = np.empty((len(kpoints), 2))
    for part in chunks(len(kpoints), chunk_size(model.num_wann, 1, DEFAULT_MEMORY_BYTES)):
        bands = band_basis(interpolator.at(kpoints[part]), conventions.degeneracy_tol)
        weights = occupation.fermi_dirac(bands.cluster_energy, mu, temperature)  # (k, n)
        values[part] = np.einsum("kin,kn->ki", geometry.lambda_tensor(bands), weights)
    return LambdaMap(kpoints=kpoints, values=values, mu=float(mu), temperature=float(temperature), kmesh=kmesh)
