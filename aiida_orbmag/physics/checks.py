"""Checks of a computed chi and alpha that need no reference: the Mott identity, the symmetry-forbidden part, and the
summary figures, as one JSON-friendly dict (the calcfunction's ``summary`` node, the CLI's ``checks``).

- Mott identity (Xiao et al., PRB 103, 045401 (2021), Eq. 12, sign corrected, :mod:`aiida_orbmag.physics.mott`):
  alpha(mu, T) = int d eta (-df0/d eta) (eta - mu)/(e T) chi_{T=0}(eta), between the T = 0 chi and the T > 0 alpha of
  the same run;
- symmetry: the components of chi a magnetic point group forbids (:mod:`aiida_orbmag.physics.symmetry`), judged
  against the uncancelled scale S_i = (e / N_k A_cell) sum_k |Lambda_i(k)| (:func:`.symmetry.uncancelled_scale`),
  how large chi would be if symmetry-related k-points did not cancel;
- the largest |chi| and where (mu, T), the k-mesh error estimate, conventions, diagnostics and version.

All chi here are in nm/Ohm (:func:`~aiida_orbmag.physics.units.chi_to_nm_per_ohm`), alpha in its reduced unit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aiida_orbmag import __version__

from . import symmetry, units
from .model import TightBindingModel
from .mott import mott_alpha
from .response import SusceptibilityResult, lambda_map
from .units import KB_EV_PER_K

#: An intrinsic forbidden component larger than this fraction of its uncancelled scale (the zone sum of |Lambda(k)|,
#: :func:`aiida_orbmag.physics.symmetry.uncancelled_scale`) is flagged in the summary: an exactly symmetric model
#: gives round-off, a model without the symmetry order 1 (Ni bilayer demo: 1e-3 with projected Wannier functions,
#: 0.9 with maximally localised ones that put the 4s functions on hollow sites).
SYMMETRY_WARNING_FRACTION = 1e-2
#: The extrinsic part has no k-resolved map: its forbidden component is compared with the largest |chi_ext|.
EXTRINSIC_WARNING_FRACTION = 1e-6
#: The Mott integral is evaluated at the mu whose window mu +- MOTT_WINDOW_KT k_B T lies inside the mu grid.
MOTT_WINDOW_KT = 30
#: Floor of the scales the residuals and fractions are divided by (avoids 0/0 for responses that vanish).
_TINY = 1e-300

#: ``(mu (eV), T (K)) -> (2,)`` uncancelled scale of chi (nm/Ohm) at that mu and T.
ScaleFunction = Callable[[float, float], np.ndarray]


def summary(
    result: SusceptibilityResult,
    model: TightBindingModel | None = None,
    symmetry_operations: list[symmetry.PointOperation] | None = None,
) -> dict:
    """JSON-friendly summary of ``result``: the largest |chi| and where, Mott residual, symmetry check, settings.

    :param model: the model of the run; with it the forbidden part of chi is judged against its uncancelled scale
        (one Lambda(k) map on the run's grid and conventions), without it against max |chi|.
    :param symmetry_operations: the in-plane magnetic point group; None: the symmetry report says it is unknown.
    """
    scale = None if model is None else uncancelled_scale_function(model, result)
    return {
        "largest_chi": largest_chi(result),
        "mott_identity": mott_residual(result),
        "symmetry": symmetry_report(result, symmetry_operations, scale),
        "kmesh": list(result.kmesh),
        **({"kmesh_error": result.metadata()["kmesh_error"]} if result.coarse_kmesh is not None else {}),
        "conventions": result.settings,
        "diagnostics": result.diagnostics,
        "aiida_orbmag_version": __version__,
    }


def largest_chi(result: SusceptibilityResult) -> dict:
    """The largest |chi| (nm/Ohm, Euclidean norm over x, y), its vector and the mu (eV) and T (K) where it is."""
    chi = result.chi_nm_per_ohm
    magnitude = np.linalg.norm(chi, axis=-1)
    t_index, mu_index = np.unravel_index(int(np.argmax(magnitude)), magnitude.shape)
    return {
        "value_nm_per_ohm": chi[t_index, mu_index].tolist(),
        "magnitude_nm_per_ohm": float(magnitude[t_index, mu_index]),
        "mu_eV": float(result.mu[mu_index]),
        "temperature_K": float(result.temperature[t_index]),
    }


def mott_residual(result: SusceptibilityResult) -> dict:
    """Largest |alpha - alpha_Mott| / max |alpha| over the mu where the Mott integral fits in the mu grid.

    alpha_Mott is the Mott relation (Xiao et al. Eq. 12, sign corrected) applied to the T = 0 chi of the same run, so
    it needs T = 0 among the temperatures and a uniform mu grid fine against k_B T: the residual is the error of
    the mu quadrature of the Mott integral (on the reference bilayer, 24x24 k, 300 K: 2.6e-2 at a step of
    0.39 k_B T, 6.6e-3 at 0.097 k_B T). Otherwise the reason it was not evaluated is given.
    ``eta_step_over_kT``: the mu step over k_B T at the lowest temperature evaluated (dimensionless).
    """
    zero = np.flatnonzero(result.temperature == 0)
    mu = result.mu
    if zero.size == 0:
        return {"evaluated": False, "reason": "no T = 0 among the temperatures"}
    if len(mu) < 3 or not np.allclose(np.diff(mu), mu[1] - mu[0], rtol=1e-8) or mu[1] <= mu[0]:
        return {"evaluated": False, "reason": "the chemical potentials are not an increasing uniform grid"}
    chi0 = result.chi[zero[0]]
    reason = f"no finite temperature has mu +- {MOTT_WINDOW_KT} k_B T inside the mu grid"
    report = {"evaluated": False, "reason": reason}
    worst, steps = 0.0, []
    for t_index, temperature in enumerate(result.temperature):
        window = MOTT_WINDOW_KT * KB_EV_PER_K * temperature
        inside = (mu - window >= mu[0]) & (mu + window <= mu[-1])
        if temperature == 0 or not inside.any():
            continue
        predicted = mott_alpha(mu, chi0, mu[inside], temperature)
        actual = result.alpha[t_index, inside]
        scale = max(float(np.abs(result.alpha[t_index]).max()), _TINY)
        worst = max(worst, float(np.abs(predicted - actual).max()) / scale)
        steps.append((mu[1] - mu[0]) / (KB_EV_PER_K * temperature))
    if steps:
        report = {"evaluated": True, "relative_residual": worst, "eta_step_over_kT": float(max(steps))}
    return report


#: Largest side of the grid on which the uncancelled scale is evaluated: the scale is a magnitude to judge the
#: forbidden part against, and a Lambda(k) map of the run's whole grid runs in one process (bilayer CrI3, 112 Wannier
#: functions, 240x240: about an hour on one core, longer than the run itself on two).
SCALE_MAX_SIDE = 96


def scale_kmesh(kmesh) -> tuple[int, int]:
    """The grid of the uncancelled scale: the run's, each side cut to at most :data:`SCALE_MAX_SIDE`."""
    return tuple(min(int(n), SCALE_MAX_SIDE) for n in kmesh)


def uncancelled_scale_function(model: TightBindingModel, result: SusceptibilityResult) -> ScaleFunction:
    """``(mu, T) -> (2,)`` nm/Ohm: the uncancelled scale S_i of chi with the run's conventions, on the run's grid with
    each side cut to at most :data:`SCALE_MAX_SIDE` (one Lambda(k) map per call,
    :func:`~aiida_orbmag.physics.response.lambda_map`)."""

    def scale(mu: float, temperature: float) -> np.ndarray:
        kmesh = scale_kmesh(result.kmesh)
        lam = lambda_map(model, mu, temperature, kmesh=kmesh, conventions=result.conventions)
        reduced = symmetry.uncancelled_scale(lam.values, len(lam.values), model.cell_area)
        return units.chi_to_nm_per_ohm(reduced)

    return scale


def symmetry_report(result: SusceptibilityResult, operations, uncancelled_scale: ScaleFunction | None = None) -> dict:
    """Allowed components and the largest symmetry-forbidden part of chi (intrinsic and extrinsic), or unknown.

    The intrinsic forbidden part is judged where it is largest, against the uncancelled scale there (how large chi
    would be if symmetry-related k-points did not cancel): ``intrinsic_forbidden_fraction`` = |chi_forbidden| / |S|,
    small below :data:`SYMMETRY_WARNING_FRACTION`. Without ``uncancelled_scale`` it is compared with max |chi|.
    Where some component is allowed, ``intrinsic_forbidden_over_allowed`` compares the largest forbidden part with the
    largest allowed part as well (not a criterion: an allowed chi may itself be small in the material).
    """
    if operations is None:
        return {"known": False}
    allowed = symmetry.allowed_response(operations)
    report = {"known": True, **allowed.as_dict()}
    chi = result.chi_nm_per_ohm
    forbidden = allowed.forbidden_part(chi, "intrinsic")
    size = np.linalg.norm(forbidden, axis=-1)  # (n_T, n_mu)
    t_index, mu_index = np.unravel_index(int(np.argmax(size)), size.shape)
    largest = float(size[t_index, mu_index])
    report["intrinsic_largest_forbidden_nm_per_ohm"] = largest
    if largest > 0 and uncancelled_scale is not None:
        mu, temperature = float(result.mu[mu_index]), float(result.temperature[t_index])
        scale = uncancelled_scale(mu, temperature)
        report["intrinsic_forbidden_at"] = {"mu_eV": mu, "temperature_K": temperature}
        report["intrinsic_uncancelled_scale_nm_per_ohm"] = scale.tolist()
        fraction = largest / max(float(np.linalg.norm(scale)), _TINY)
    else:
        fraction = largest / max(float(np.abs(chi).max()), _TINY)
    report["intrinsic_forbidden_fraction"] = fraction
    allowed_size = float(np.linalg.norm(chi - forbidden, axis=-1).max())
    if allowed_size > 0:  # for reference: the forbidden part next to the allowed one
        report["intrinsic_forbidden_over_allowed"] = largest / allowed_size
    report["intrinsic_forbidden_is_small"] = bool(fraction <= SYMMETRY_WARNING_FRACTION)
    if result.chi_extrinsic is not None:
        chi_ext = result.chi_extrinsic_nm_per_ohm
        largest_ext = float(np.abs(allowed.forbidden_part(chi_ext, "extrinsic")).max())
        report["extrinsic_largest_forbidden_nm_per_ohm"] = largest_ext
        report["extrinsic_forbidden_is_small"] = bool(
            largest_ext <= EXTRINSIC_WARNING_FRACTION * max(float(np.abs(chi_ext).max()), _TINY)
        )
    return report
