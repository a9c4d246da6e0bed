"""``orbmag.compute_susceptibility``: chi and alpha of a ``TightBindingData`` as a calcfunction.

Inputs: ``tight_binding`` (:class:`~aiida_orbmag.data.TightBindingData`) and ``parameters`` (Dict, keys in
:mod:`aiida_orbmag.calcfunctions.parameters`). Outputs (ArrayData, each array's unit in the ``units`` attribute):

- ``chi``: ``chi`` (n_T, n_mu, 2) nm/Ohm and ``chi_reduced`` in (e²/hbar) Å, ``mu`` (eV), ``temperature`` (K), and
  with ``kmesh_error`` the estimated k-mesh error ``chi_kmesh_error`` (nm/Ohm);
- ``alpha``: ``alpha`` (n_T, n_mu, 2) nA nm/K and ``alpha_reduced`` in (|e| k_B/hbar) Å, ``mu``, ``temperature``
  (and ``alpha_kmesh_error``, nA nm/K);
- ``extrinsic`` (when ``relaxation_time_fs`` is given): ``chi`` and ``alpha`` of the relaxation-time part;
- ``lambda_map`` (when ``lambda_map_mu`` is given): ``kpoints`` (nk, 2) 1/Å and ``lambda`` (nk, 2) (e/hbar) Å³;
- ``summary`` (Dict): largest |chi| and where, Mott-identity residual, symmetry check, k-mesh, conventions, version.

Invalid inputs end the process with an exit code of :data:`EXIT_CODES` and a message that says what to change.
"""

from __future__ import annotations

import numpy as np
from aiida.engine import ExitCode, calcfunction
from aiida.engine.processes.exit_code import ExitCodesNamespace
from aiida.orm import ArrayData, Dict

from aiida_orbmag import __version__
from aiida_orbmag.physics import response, symmetry, units
from aiida_orbmag.physics.mott import mott_alpha
from aiida_orbmag.physics.units import KB_EV_PER_K

from .parameters import ParameterError, SusceptibilityParameters, parse_parameters

EXIT_CODES = ExitCodesNamespace(
    {
        "ERROR_INVALID_PARAMETERS": ExitCode(201, "The parameters are invalid: {reason}."),
        "ERROR_EMPTY_CHEMICAL_POTENTIALS": ExitCode(202, "No chemical potentials were given: {reason}."),
        "ERROR_INVALID_TEMPERATURES": ExitCode(203, "The temperatures are invalid: {reason}."),
        "ERROR_INVALID_KMESH": ExitCode(204, "The k-mesh is invalid: {reason}."),
        "ERROR_INVALID_SYMMETRY": ExitCode(205, "The symmetry operations are invalid: {reason}."),
        "ERROR_INVALID_MODEL": ExitCode(
            210, "The tight-binding model cannot be used: {reason} Store the model again from a valid file."
        ),
        "ERROR_MODEL_NOT_TWO_DIMENSIONAL": ExitCode(211, "The model is not a 2D crystal: {reason}"),
        "ERROR_POSITION_MATRIX_MISSING": ExitCode(
            212,
            "The model has no position matrix, which the full treatment needs; set tight_binding_approximation to "
            "true or store the model from a seedname_tb.dat.",
        ),
        "ERROR_FERMI_ENERGY_UNKNOWN": ExitCode(
            213,
            "The chemical potentials are relative to the Fermi energy (relative_to_fermi_energy), but the model has "
            "no Fermi energy; attach it when storing the model or give absolute chemical potentials.",
        ),
        "ERROR_RESPONSE_FAILED": ExitCode(220, "The physics core refused the input: {reason}"),
    }
)

#: An intrinsic forbidden component larger than this fraction of its uncancelled scale (the zone sum of |Lambda(k)|,
#: :func:`aiida_orbmag.physics.symmetry.uncancelled_scale`) is flagged in the summary: an exactly symmetric model
#: gives round-off, a model without the symmetry order 1 (Ni bilayer demo: 1e-3 with projected Wannier functions,
#: 0.9 with maximally localised ones that put the 4s functions on hollow sites).
SYMMETRY_WARNING_FRACTION = 1e-2
#: The extrinsic part has no k-resolved map: its forbidden component is compared with the largest |chi_ext|.
EXTRINSIC_WARNING_FRACTION = 1e-6


@calcfunction
def compute_susceptibility(tight_binding, parameters):
    """chi(mu, T) (nm/Ohm) and alpha(mu, T) (nA nm/K) of a 2D tight-binding model (Xiao et al., PRB 103, 045401)."""
    try:
        settings = parse_parameters(parameters.get_dict())
    except ParameterError as error:
        return EXIT_CODES[error.kind].format(reason=str(error))
    try:
        model = tight_binding.get_model()
    except ValueError as error:
        return EXIT_CODES.ERROR_INVALID_MODEL.format(reason=str(error))
    if settings.relative_to_fermi_energy and model.fermi_energy is None:
        return EXIT_CODES.ERROR_FERMI_ENERGY_UNKNOWN
    shift = model.fermi_energy if settings.relative_to_fermi_energy else 0.0  # eV
    if settings.position_operator == "full" and not model.has_position:
        return EXIT_CODES.ERROR_POSITION_MATRIX_MISSING
    try:
        model.check_two_dimensional(settings.max_out_of_plane_hopping)
    except ValueError as error:
        return EXIT_CODES.ERROR_MODEL_NOT_TWO_DIMENSIONAL.format(reason=str(error))
    try:
        result = response.compute_susceptibility(
            model,
            settings.mu + shift,
            settings.temperature,
            settings.kmesh,
            metric_form=settings.metric_form,
            relaxation_time_fs=settings.relaxation_time_fs,
            kmesh_error=settings.kmesh_error,
            max_kpoints=settings.max_kpoints,
            **settings.core_conventions(),
        )
        outputs = {"chi": _chi_node(result), "alpha": _alpha_node(result)}
        if result.chi_extrinsic is not None:
            outputs["extrinsic"] = _extrinsic_node(result)
        if settings.lambda_map_mu is not None:
            outputs["lambda_map"] = _lambda_map_node(model, settings, shift)
    except ValueError as error:
        return EXIT_CODES.ERROR_RESPONSE_FAILED.format(reason=str(error))
    try:  # the symmetry check maps Lambda(k) once more, through the physics core
        outputs["summary"] = Dict(summary(result, settings, _uncancelled_scale(model, settings)))
    except ValueError as error:
        return EXIT_CODES.ERROR_RESPONSE_FAILED.format(reason=str(error))
    return outputs


def _with_axes(node: ArrayData, result, units: dict) -> ArrayData:
    node.set_array("mu", result.mu)
    node.set_array("temperature", result.temperature)
    node.base.attributes.set("units", {"mu": "eV", "temperature": "K", **units})
    node.base.attributes.set("axes", ["temperature", "mu", "component (x, y)"])
    return node


def _chi_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("chi", result.chi_nm_per_ohm)
    node.set_array("chi_reduced", result.chi)
    array_units = {"chi": "nm/Ohm", "chi_reduced": "(e^2/hbar) Angstrom"}
    if result.chi_kmesh_error is not None:
        node.set_array("chi_kmesh_error", result.chi_kmesh_error_nm_per_ohm)
        array_units["chi_kmesh_error"] = "nm/Ohm"
    return _with_axes(node, result, array_units)


def _alpha_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("alpha", result.alpha_na_nm_per_k)
    node.set_array("alpha_reduced", result.alpha)
    array_units = {"alpha": "nA nm/K", "alpha_reduced": "(|e| k_B/hbar) Angstrom"}
    if result.alpha_kmesh_error is not None:
        node.set_array("alpha_kmesh_error", result.alpha_kmesh_error_na_nm_per_k)
        array_units["alpha_kmesh_error"] = "nA nm/K"
    return _with_axes(node, result, array_units)


def _extrinsic_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("chi", result.chi_extrinsic_nm_per_ohm)
    node.set_array("alpha", result.alpha_extrinsic_na_nm_per_k)
    node.base.attributes.set("relaxation_time_fs", result.settings["relaxation_time_fs"])
    return _with_axes(node, result, {"chi": "nm/Ohm", "alpha": "nA nm/K"})


def _lambda_map_node(model, settings: SusceptibilityParameters, shift: float) -> ArrayData:
    mu = settings.lambda_map_mu + shift
    lam = response.lambda_map(
        model,
        mu,
        settings.lambda_map_temperature,
        kmesh=settings.kmesh,
        **settings.core_conventions(),
    )
    node = ArrayData()
    node.set_array("kpoints", lam.kpoints)
    node.set_array("lambda", lam.values)
    node.base.attributes.set("units", {"kpoints": "1/Angstrom", "lambda": "(e/hbar) Angstrom^3"})
    node.base.attributes.set("mu_eV", float(mu))
    node.base.attributes.set("temperature_K", float(settings.lambda_map_temperature))
    node.base.attributes.set("kmesh", list(settings.kmesh))
    return node


def _uncancelled_scale(model, settings: SusceptibilityParameters):
    """``(mu, T) -> (2,)`` nm/Ohm: the uncancelled scale of chi on the run's grid and conventions (one map each)."""

    def scale(mu: float, temperature: float) -> np.ndarray:
        lam = response.lambda_map(model, mu, temperature, kmesh=settings.kmesh, **settings.core_conventions())
        reduced = symmetry.uncancelled_scale(lam.values, len(lam.values), model.cell_area)
        return units.chi_to_nm_per_ohm(reduced)

    return scale


def summary(result, settings: SusceptibilityParameters, uncancelled_scale=None) -> dict:
    """JSON-friendly summary of a result: the largest |chi| and where, Mott residual, symmetry check, settings.

    ``uncancelled_scale(mu, T)`` gives the (2,) scale (nm/Ohm) the forbidden part of chi is judged against."""
    chi = result.chi_nm_per_ohm
    magnitude = np.linalg.norm(chi, axis=-1)
    t_index, mu_index = np.unravel_index(int(np.argmax(magnitude)), magnitude.shape)
    return {
        "largest_chi": {
            "value_nm_per_ohm": chi[t_index, mu_index].tolist(),
            "magnitude_nm_per_ohm": float(magnitude[t_index, mu_index]),
            "mu_eV": float(result.mu[mu_index]),
            "temperature_K": float(result.temperature[t_index]),
        },
        "mott_identity": mott_residual(result),
        "symmetry": symmetry_report(result, settings.symmetry_operations, uncancelled_scale),
        "kmesh": list(result.kmesh),
        **({"kmesh_error": result.metadata()["kmesh_error"]} if result.coarse_kmesh is not None else {}),
        "conventions": result.settings,
        "diagnostics": result.diagnostics,
        "aiida_orbmag_version": __version__,
    }


def mott_residual(result) -> dict:
    """Largest |alpha - alpha_Mott| / max |alpha| over the mu where the Mott integral fits in the mu grid.

    alpha_Mott is the Mott relation (Xiao et al. Eq. 12, sign corrected) applied to the T = 0 chi of the same run, so
    it needs T = 0 among the temperatures and a uniform mu grid fine against k_B T: the residual is the error of
    the mu quadrature of the Mott integral (on the reference bilayer, 24x24 k, 300 K: 2.6e-2 at a step of
    0.39 k_B T, 6.6e-3 at 0.097 k_B T). Otherwise the reason it was not evaluated is given.
    """
    zero = np.flatnonzero(result.temperature == 0)
    mu = result.mu
    if zero.size == 0:
        return {"evaluated": False, "reason": "no T = 0 among the temperatures"}
    if len(mu) < 3 or not np.allclose(np.diff(mu), mu[1] - mu[0], rtol=1e-8) or mu[1] <= mu[0]:
        return {"evaluated": False, "reason": "the chemical potentials are not an increasing uniform grid"}
    chi0 = result.chi[zero[0]]
    report = {"evaluated": False, "reason": "no finite temperature has mu +- 30 k_B T inside the mu grid"}
    worst, steps = 0.0, []
    for t_index, temperature in enumerate(result.temperature):
        window = 30 * KB_EV_PER_K * temperature
        inside = (mu - window >= mu[0]) & (mu + window <= mu[-1])
        if temperature == 0 or not inside.any():
            continue
        predicted = mott_alpha(mu, chi0, mu[inside], temperature)
        actual = result.alpha[t_index, inside]
        scale = max(float(np.abs(result.alpha[t_index]).max()), 1e-300)
        worst = max(worst, float(np.abs(predicted - actual).max()) / scale)
        steps.append((mu[1] - mu[0]) / (KB_EV_PER_K * temperature))
    if steps:
        report = {"evaluated": True, "relative_residual": worst, "eta_step_over_kT": float(max(steps))}
    return report


def symmetry_report(result, operations, uncancelled_scale=None) -> dict:
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
    forbidden = allowed.forbidden_part(result.chi_nm_per_ohm, "intrinsic")
    size = np.linalg.norm(forbidden, axis=-1)  # (n_T, n_mu)
    t_index, mu_index = np.unravel_index(int(np.argmax(size)), size.shape)
    largest = float(size[t_index, mu_index])
    report["intrinsic_largest_forbidden_nm_per_ohm"] = largest
    if largest > 0 and uncancelled_scale is not None:
        scale = uncancelled_scale(float(result.mu[mu_index]), float(result.temperature[t_index]))
        report["intrinsic_forbidden_at"] = {
            "mu_eV": float(result.mu[mu_index]),
            "temperature_K": float(result.temperature[t_index]),
        }
        report["intrinsic_uncancelled_scale_nm_per_ohm"] = scale.tolist()
        fraction = largest / max(float(np.linalg.norm(scale)), 1e-300)
    else:
        fraction = largest / max(float(np.abs(result.chi_nm_per_ohm).max()), 1e-300)
    report["intrinsic_forbidden_fraction"] = fraction
    allowed_size = float(np.linalg.norm(result.chi_nm_per_ohm - forbidden, axis=-1).max())
    if allowed_size > 0:  # for reference: the forbidden part next to the allowed one
        report["intrinsic_forbidden_over_allowed"] = largest / allowed_size
    report["intrinsic_forbidden_is_small"] = bool(fraction <= SYMMETRY_WARNING_FRACTION)
    if result.chi_extrinsic is not None:
        chi = result.chi_extrinsic_nm_per_ohm
        extrinsic = allowed.forbidden_part(chi, "extrinsic")
        largest = float(np.abs(extrinsic).max())
        report["extrinsic_largest_forbidden_nm_per_ohm"] = largest
        report["extrinsic_forbidden_is_small"] = bool(
            largest <= EXTRINSIC_WARNING_FRACTION * max(float(np.abs(chi).max()), 1e-300)
        )
    return report
