"""alpha(mu, T) on a fine grid, summed only where levels lie near mu: the thermal response at low temperature.

The intrinsic thermal response (Xiao et al. 2021, Eq. 9: Lambda^n weighted by the entropy density s0(e_n), and the
Fermi-surface form of its metric term weighted by s0') is carried by the levels within a few k_B T of mu:
s0(e)/k_B = (x + 1) exp(-x) + O(exp(-2x)) for x = |e - mu| / k_B T >> 1. At low T a uniform grid resolves it only
when k_B T exceeds the spacing of the levels the grid puts near mu, which for a small Fermi pocket takes a grid far
finer than chi needs (bilayer CrI3, 57 meV into the conduction band: alpha_x(2 K) = -0.24 nA nm/K on 160x160 against
a Sommerfeld estimate of -0.004; see docs/topics/measured.md).

:func:`fermi_window_alpha` sums the grid ``refine`` times finer than a coarse grid, but only the fine points of the
coarse cells whose levels may come within ``window_kt`` k_B T_max of the mu range. A coarse cell (the fine points
nearest one coarse point, at most half a coarse step from it) is kept when, for some band n of the sorted spectrum,
e_n(c) +- 2 Delta_n(c) reaches that window, Delta_n(c) being the largest change of e_n to the eight neighbouring coarse
points; the factor 2 (four times the half step) covers bands that curve between coarse points. Each level left out
changes the sum by at most (window_kt + 1) exp(-window_kt) |Lambda| (1.7e-16 |Lambda| at the default 40), so the
result is the fine grid's alpha at the cost of the points near the Fermi surface; tests compare it with the whole fine
grid. chi, a Fermi-sea quantity (f0), is not given: the same sums over part of the zone would be wrong for it.

The gain is the share of the zone left out: large for a pocket of dispersive bands, none where flat bands fill the
window over the whole zone (bilayer CrI3's 112-band model at its doped point: 98% of a 120x120 grid kept for
T <= 20 K).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aiida_orbmag import __version__

from . import units
from .bands import band_energies_on_grid
from .conventions import DEFAULT_CONVENTIONS, Conventions
from .kgrid import check_kmesh
from .model import TightBindingModel
from .plan import DEFAULT_EXECUTION, Execution, plan_zone_job, useful_processes
from .response import _check_finite, _check_inputs, _kmesh_errors, _normalise
from .zone_sums import sum_zone

DEFAULT_WINDOW_KT = 40.0  #: levels farther than this many k_B T_max from every mu are left out


@dataclasses.dataclass(frozen=True)
class FermiWindowAlpha:
    """alpha (n_T, n_mu, 2) in (|e| k_B/hbar) Å on the fine grid ``kmesh`` = refine x ``coarse_kmesh``, from the
    ``points_summed`` fine points near the Fermi surface; ``alpha_kmesh_error`` (same shape and units, or None) is
    the largest difference to the shifted sub-grids of half the fine mesh, as in
    :func:`~aiida_orbmag.physics.response.compute_susceptibility`."""

    mu: np.ndarray
    temperature: np.ndarray
    alpha: np.ndarray
    kmesh: tuple[int, int]
    coarse_kmesh: tuple[int, int]
    refine: int
    window_kt: float
    window_ev: tuple[float, float]
    points_summed: int
    settings: dict
    alpha_kmesh_error: np.ndarray | None = None

    @property
    def alpha_na_nm_per_k(self) -> np.ndarray:
        return units.alpha_to_na_nm_per_k(self.alpha)

    @property
    def alpha_kmesh_error_na_nm_per_k(self) -> np.ndarray | None:
        return None if self.alpha_kmesh_error is None else units.alpha_to_na_nm_per_k(self.alpha_kmesh_error)

    @property
    def fraction_summed(self) -> float:
        """Share of the fine grid's points that were summed."""
        return self.points_summed / (self.kmesh[0] * self.kmesh[1])

    def metadata(self) -> dict:
        """JSON-friendly description of the grid, the window and the conventions."""
        return {
            "kmesh": list(self.kmesh),
            "coarse_kmesh": list(self.coarse_kmesh),
            "refine": self.refine,
            "window_kT": self.window_kt,
            "window_eV": list(self.window_ev),
            "points_summed": self.points_summed,
            "fraction_summed": self.fraction_summed,
            **self.settings,
            "version": __version__,
        }


def window_points(model: TightBindingModel, coarse_kmesh, refine: int, window_ev: tuple[float, float]) -> np.ndarray:
    """Flat C-order indices, on the grid ``refine`` x ``coarse_kmesh``, of the fine points of the coarse cells whose
    levels may reach ``window_ev`` (eV, the model's scale); see the module's docstring for the rule."""
    n1, n2 = check_kmesh(coarse_kmesh)
    _check_refine(refine)
    low, high = window_ev
    energies = band_energies_on_grid(model, (n1, n2)).reshape(n1, n2, -1)
    change = np.zeros_like(energies)
    for s1 in (-1, 0, 1):
        for s2 in (-1, 0, 1):
            if s1 or s2:
                neighbour = np.roll(energies, (s1, s2), axis=(0, 1))
                change = np.maximum(change, np.abs(neighbour - energies))
    reach = 2.0 * change
    kept = np.any((energies + reach >= low) & (energies - reach <= high), axis=-1)  # (n1, n2)
    c1, c2 = np.nonzero(kept)
    offsets = np.arange(refine) - refine // 2  # the fine points nearest each coarse point
    f1 = (c1[:, None, None] * refine + offsets[None, :, None]) % (n1 * refine)
    f2 = (c2[:, None, None] * refine + offsets[None, None, :]) % (n2 * refine)
    return np.sort((f1 * (n2 * refine) + f2).reshape(-1))


def fermi_window_alpha(
    model: TightBindingModel,
    mu,
    temperature,
    coarse_kmesh,
    refine: int,
    *,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    window_kt: float = DEFAULT_WINDOW_KT,
    kmesh_error: bool = False,
    execution: Execution = DEFAULT_EXECUTION,
    progress=None,
) -> FermiWindowAlpha:
    """Intrinsic alpha(mu, T) ((|e| k_B/hbar) Å; Xiao et al. 2021 Eq. 9 with Eqs. 10-11) on the grid ``refine`` x
    ``coarse_kmesh``, summed only near the Fermi surface (module docstring); equal to
    ``compute_susceptibility(model, mu, temperature, fine_kmesh, ...).alpha`` up to (window_kt + 1) exp(-window_kt)
    of the levels left out.

    :param mu: chemical potentials (eV, the model's scale). :param temperature: temperatures (K), all > 0.
    :param coarse_kmesh: (n1, n2) grid on which the cells near the Fermi surface are found.
    :param refine: fine points per coarse step along each axis.
    :param window_kt: levels farther than this many k_B T_max from every mu are left out (at least 20).
    :param kmesh_error: also the k-mesh error estimate of the fine grid (its shifted sub-grids of half the mesh).
    :param conventions, execution, progress: as for :func:`~aiida_orbmag.physics.response.compute_susceptibility`.
    """
    coarse_kmesh = check_kmesh(coarse_kmesh)
    _check_refine(refine)
    if not (np.isfinite(window_kt) and window_kt >= 20.0):
        raise ValueError(f"window_kt must be at least 20 (k_B T units), got {window_kt}; the default is 40.")
    fine = (coarse_kmesh[0] * refine, coarse_kmesh[1] * refine)
    mu, temperature, fine = _check_inputs(model, mu, temperature, fine, conventions, None, None)
    if np.any(temperature <= 0):
        raise ValueError(
            f"alpha vanishes at T = 0 and its window needs k_B T > 0: give T > 0 K, got {temperature.tolist()}."
        )
    width = window_kt * units.KB_EV_PER_K * float(temperature.max())
    window = (float(mu.min()) - width, float(mu.max()) + width)
    points = window_points(model, coarse_kmesh, refine, window)
    if len(points) > execution.max_kpoints:
        raise ValueError(
            f"{len(points)} fine points lie near the Fermi surface, more than the {execution.max_kpoints} accepted; "
            "use a smaller refine or mu range, or raise max_kpoints on purpose."
        )
    if len(points) == 0:  # no level near any mu: an insulator's gap at these temperatures
        alpha = np.zeros((len(temperature), len(mu), 2))
        error = np.zeros_like(alpha) if kmesh_error else None
        return _result(mu, temperature, alpha, fine, coarse_kmesh, refine, window_kt, window, 0, conventions, error)
    job = plan_zone_job(model, mu, temperature, fine, conventions, execution, False, kmesh_error, points=points)
    processes = useful_processes(int(execution.processes), len(job.pieces()))
    with np.errstate(all="ignore"):
        partial = sum_zone(job, processes, progress)
        alpha = _normalise(partial.sums.totals(), fine, model, None)["alpha"]
    _check_finite({"alpha": alpha})
    error = None
    if kmesh_error:
        error = _kmesh_errors(job, partial, {"alpha": alpha}, None)[1]["alpha_kmesh_error"]
    return _result(
        mu, temperature, alpha, fine, coarse_kmesh, refine, window_kt, window, len(points), conventions, error
    )


def _result(mu, temperature, alpha, fine, coarse, refine, window_kt, window, count, conventions, error):
    settings = {**conventions.as_settings(), "electron_charge_sign": units.ELECTRON_CHARGE_SIGN}
    return FermiWindowAlpha(
        mu=mu, temperature=temperature, alpha=alpha, kmesh=fine, coarse_kmesh=coarse, refine=int(refine),
        window_kt=float(window_kt), window_ev=window, points_summed=int(count), settings=settings,
        alpha_kmesh_error=error,
    )  # fmt: skip


def _check_refine(refine) -> None:
    if isinstance(refine, bool) or not isinstance(refine, int | np.integer) or refine < 1:
        raise ValueError(f"refine must be a positive integer (fine points per coarse step), got {refine!r}.")
