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

Chemical potentials and temperatures are all evaluated from one pass over k: per-level quantities of a k-chunk are
contracted with occupation matrices of shape (levels, n_mu) for each temperature.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from aiida_orbmag import __version__

from . import geometry, occupation, units
from .bands import band_basis
from .fourier import FourierInterpolator, subgrid_shape
from .kgrid import check_kmesh, chunks, uniform_grid
from .model import TightBindingModel

LOGGER = logging.getLogger(__name__)

METRIC_FORMS = ("analytic", "fermi_surface")
INTERPOLATIONS = ("auto", "fft", "direct")
#: "auto" chooses the FFT path only for sub-grids of at least this many points (and at least N_R).
MIN_FFT_BLOCK = 16
#: Largest (k, nw, nw) complex stack of a band-basis chunk (bytes).
CHUNK_STACK_BYTES = 8 * 2**20
DEFAULT_DEGENERACY_TOL_EV = 1e-5
DEFAULT_MEMORY_BYTES = 2 * 2**30


@dataclasses.dataclass(frozen=True)
class SusceptibilityResult:
    """chi (n_T, n_mu, 2) in (e²/hbar) Å and alpha (n_T, n_mu, 2) in (|e| k_B/hbar) Å, x and y components.

    ``chi_extrinsic`` / ``alpha_extrinsic`` (same shapes and units) are present when a relaxation time was given.
    ``settings`` records the conventions, ``diagnostics`` the degeneracy and gap statistics of the grid.
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

    def metadata(self) -> dict:
        """JSON-friendly description of how the numbers were obtained."""
        return {"kmesh": list(self.kmesh), **self.settings, "diagnostics": self.diagnostics, "version": __version__}


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


@dataclasses.dataclass
class _Diagnostics:
    """Running statistics of the spectrum over the grid (eV)."""

    smallest_cluster_gap: float = np.inf
    largest_degenerate_splitting: float = 0.0
    largest_pair_splitting: float = 0.0
    n_levels: int = 0

    def update(self, energies: np.ndarray, tol: float) -> None:
        spacing = np.diff(energies, axis=-1)
        apart, together = spacing[spacing >= tol], spacing[spacing < tol]
        self.smallest_cluster_gap = min(self.smallest_cluster_gap, float(apart.min(initial=np.inf)))
        self.largest_degenerate_splitting = max(self.largest_degenerate_splitting, float(together.max(initial=0.0)))
        if energies.shape[-1] % 2 == 0:
            pairs = energies[:, 1::2] - energies[:, 0::2]
            self.largest_pair_splitting = max(self.largest_pair_splitting, float(pairs.max(initial=0.0)))
        self.n_levels += energies.size

    def as_dict(self) -> dict:
        return {
            "smallest_gap_between_clusters_eV": self.smallest_cluster_gap,
            "largest_splitting_inside_clusters_eV": self.largest_degenerate_splitting,
            "largest_splitting_of_band_pairs_eV": self.largest_pair_splitting,
        }


def _check_inputs(model, mu, temperature, kmesh, degeneracy_tol, metric_form, relaxation_time_fs):
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
    return mu, temperature, check_kmesh(kmesh)


def _chunk_size(num_wann: int, n_mu_finite_t: int, memory_bytes: int) -> int:
    """k-points per band-basis chunk: about 60 complex (nw, nw) matrices plus four (levels, n_mu) occupation
    matrices per k-point within a quarter of ``memory_bytes``, and no stack of (nw, nw) matrices above
    CHUNK_STACK_BYTES (at N_w = 112, chunks of a 256 MiB budget ran at 14 ms/k against 19-29 ms/k for 2 GiB)."""
    per_k = 16 * num_wann**2 * 60 + 8 * num_wann * n_mu_finite_t * 4
    return max(1, min((memory_bytes // 4) // per_k, CHUNK_STACK_BYTES // (16 * num_wann**2)))


def _level_quantities(wannier, degeneracy_tol, metric_form, extrinsic, diagnostics):
    """Per-level (k, n flattened) arrays of one k-chunk: cluster energy (L,) and (L, 2) integrands."""
    bands = band_basis(wannier, degeneracy_tol, derivatives=metric_form == "analytic")
    diagnostics.update(bands.energies, degeneracy_tol)
    connection = geometry.berry_connection(bands)
    out = {"energy": bands.cluster_energy.reshape(-1)}
    lam = geometry.lambda_first_term(bands, connection)  # (k, i, n)
    if metric_form == "analytic":
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
    :param memory_bytes: bound on the per-chunk working arrays.
    :param interpolation: ``"fft"`` (sub-grids by FFT, :meth:`FourierInterpolator.grid_blocks`), ``"direct"``
        (sums over R per k-point) or ``"auto"`` (FFT when the mesh splits into sub-grids of at least N_R and 16
        points, so that folding the hoppings is shared by enough k-points). Both give the same numbers to
        round-off.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Unknown interpolation {interpolation!r}; use one of {INTERPOLATIONS}.")
    mu, temperature, kmesh = _check_inputs(
        model, mu, temperature, kmesh, degeneracy_tol, metric_form, relaxation_time_fs
    )
    model.check_two_dimensional(max_out_of_plane_hopping)
    interpolator = FourierInterpolator(model, convention, position_operator)
    extrinsic = relaxation_time_fs is not None
    n_t, n_mu = len(temperature), len(mu)
    sums = {name: np.zeros((n_t, n_mu, 2)) for name in ("chi", "alpha", "chi_ext", "alpha_ext")}
    diagnostics = _Diagnostics()
    n_mu_finite_t = n_mu if np.any(temperature > 0) else 0
    chunk = _chunk_size(model.num_wann, n_mu_finite_t, memory_bytes)
    second = metric_form == "analytic"
    for wannier in _grid_matrices(interpolator, model, kmesh, chunk, memory_bytes, second, interpolation):
        levels = _level_quantities(wannier, degeneracy_tol, metric_form, extrinsic, diagnostics)
        _accumulate(sums, levels, mu, temperature)
    norm = 1.0 / (kmesh[0] * kmesh[1] * model.cell_area)
    chi = sums["chi"] * norm
    alpha = units.ELECTRON_CHARGE_SIGN * sums["alpha"] * norm + 0.0  # + 0.0: no -0.0 at T = 0
    chi_ext = alpha_ext = None
    if extrinsic:
        tau = units.relaxation_time_to_inverse_ev(relaxation_time_fs)
        chi_ext = -tau * sums["chi_ext"] * norm
        alpha_ext = -units.ELECTRON_CHARGE_SIGN * tau * sums["alpha_ext"] * norm
    settings = {
        "degeneracy_tol_eV": degeneracy_tol,
        "bloch_convention": convention,
        "position_operator": position_operator,
        "metric_form": metric_form,
        "relaxation_time_fs": relaxation_time_fs,
        "electron_charge_sign": units.ELECTRON_CHARGE_SIGN,
        "out_of_plane_hopping_eV": model.out_of_plane_hopping(),
    }
    _warn_about_degeneracy(diagnostics, degeneracy_tol)
    return SusceptibilityResult(
        mu=mu,
        temperature=temperature,
        chi=chi,
        alpha=alpha,
        kmesh=kmesh,
        settings=settings,
        diagnostics=diagnostics.as_dict(),
        chi_extrinsic=chi_ext,
        alpha_extrinsic=alpha_ext,
    )


def _grid_matrices(interpolator, model, kmesh, chunk, memory_bytes, second_derivatives, interpolation):
    """Wannier-gauge matrices of the whole uniform grid, chunk by chunk (order irrelevant for zone sums).

    The FFT sub-grids take up to half of ``memory_bytes`` for their 12 R-moment stacks, so that folding the
    hoppings (O(N_R N_w²) per sub-grid) is shared by many k-points; the band-basis work then goes in chunks.
    """
    reciprocal = model.reciprocal_lattice_2d
    block = max(1, (memory_bytes // 2) // (12 * 16 * model.num_wann**2))
    f1, f2 = subgrid_shape(kmesh, block)
    worth_it = f1 * f2 >= min(max(MIN_FFT_BLOCK, model.num_r), kmesh[0] * kmesh[1])
    if interpolation == "fft" or (interpolation == "auto" and worth_it):
        blocks = interpolator.grid_blocks(reciprocal, kmesh, block, second_derivatives, chunk_points=chunk)
        for _, wannier in blocks:
            yield wannier
        return
    kpoints = uniform_grid(reciprocal, kmesh)
    for part in chunks(len(kpoints), chunk):
        yield interpolator.at(kpoints[part], second_derivatives)


def _accumulate(sums, levels, mu, temperature):
    """Add one chunk's levels to the (n_T, n_mu, 2) sums."""
    energy = levels["energy"][:, None]
    for t_index, t in enumerate(temperature):
        if t == 0:  # step occupations: a cumulative sum over sorted levels serves any number of mu exactly
            sums["chi"][t_index] += _zero_temperature_sea(levels["energy"], levels["sea"], mu)
            continue
        occupied = occupation.fermi_dirac(energy, mu, t)  # (L, n_mu)
        entropy = occupation.entropy_density(energy, mu, t)
        sums["chi"][t_index] += occupied.T @ levels["sea"]
        sums["alpha"][t_index] += entropy.T @ levels["sea"]
        if "fermi_surface" in levels or "extrinsic" in levels:
            d_occupied = occupation.fermi_dirac_derivative(energy, mu, t)
            d_entropy = occupation.entropy_density_derivative(energy, mu, t)
        if "fermi_surface" in levels:
            sums["chi"][t_index] += d_occupied.T @ levels["fermi_surface"]
            sums["alpha"][t_index] += d_entropy.T @ levels["fermi_surface"]
        if "extrinsic" in levels:
            sums["chi_ext"][t_index] += d_occupied.T @ levels["extrinsic"]
            sums["alpha_ext"][t_index] += d_entropy.T @ levels["extrinsic"]


def _zero_temperature_sea(energy, integrand, mu):
    """(n_mu, 2) sum over levels of Theta(mu - e) integrand, with weight 1/2 for a level exactly at mu."""
    order = np.argsort(energy)
    cumulative = np.concatenate([np.zeros((1, 2)), np.cumsum(integrand[order], axis=0)])
    below = np.searchsorted(energy[order], mu, side="left")
    up_to = np.searchsorted(energy[order], mu, side="right")
    return 0.5 * (cumulative[below] + cumulative[up_to])


def _warn_about_degeneracy(diagnostics: _Diagnostics, tol: float) -> None:
    if diagnostics.smallest_cluster_gap < 10 * tol:
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
    _check_inputs(model, [mu], [temperature], kmesh or (1, 1), degeneracy_tol, "analytic", None)
    model.check_two_dimensional(max_out_of_plane_hopping)
    if kmesh is not None:
        kmesh = check_kmesh(kmesh)
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
