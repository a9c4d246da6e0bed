"""``orbmag.compute_susceptibility``: chi and alpha of a ``TightBindingData`` as a calcfunction.

Inputs: ``tight_binding`` (:class:`~aiida_orbmag.data.TightBindingData`) and ``parameters`` (Dict, keys in
:mod:`aiida_orbmag.calcfunctions.parameters`). Outputs (ArrayData, each array's unit in the ``units`` attribute):

- ``chi``: ``chi`` (n_T, n_mu, 2) nm/Ohm and ``chi_reduced`` in (e²/hbar) Å, ``mu`` (eV), ``temperature`` (K), and
  with ``kmesh_error`` the estimated k-mesh error ``chi_kmesh_error`` (nm/Ohm);
- ``alpha``: ``alpha`` (n_T, n_mu, 2) nA nm/K and ``alpha_reduced`` in (|e| k_B/hbar) Å, ``mu``, ``temperature``
  (and ``alpha_kmesh_error``, nA nm/K);
- ``extrinsic`` (when ``relaxation_time_fs`` is given): ``chi`` and ``alpha`` of the relaxation-time part;
- ``lambda_map`` (when ``lambda_map_mu`` is given): ``kpoints`` (nk, 2) 1/Å and ``lambda`` (nk, 2) (e/hbar) Å³;
- ``summary`` (Dict, :func:`aiida_orbmag.physics.checks.summary`): largest |chi| and where, Mott-identity residual,
  symmetry check, k-mesh, conventions, version.

Invalid inputs end the process with an exit code of :data:`EXIT_CODES` and a message that says what to change.
:func:`output_nodes` builds these nodes from the physics core's results; the ``orbmag.compute`` CalcJob's parser
builds the same nodes with it from the output of ``aiida-orbmag compute``.
"""

from __future__ import annotations

from aiida.engine import ExitCode, calcfunction
from aiida.engine.processes.exit_code import ExitCodesNamespace
from aiida.orm import ArrayData, Dict

from aiida_orbmag.physics import checks, response
from aiida_orbmag.physics.plan import Execution

from .parameters import ParameterError, parse_parameters

EXIT_CODES = ExitCodesNamespace(
    {
        "ERROR_INVALID_PARAMETERS": ExitCode(201, "The parameters are invalid: {reason}."),
        "ERROR_EMPTY_CHEMICAL_POTENTIALS": ExitCode(202, "No chemical potentials were given: {reason}."),
        "ERROR_INVALID_TEMPERATURES": ExitCode(203, "The temperatures are invalid: {reason}."),
        "ERROR_INVALID_KMESH": ExitCode(204, "The k-mesh is invalid: {reason}."),
        "ERROR_INVALID_SYMMETRY": ExitCode(205, "The symmetry operations are invalid: {reason}."),
        "ERROR_INVALID_MODEL": ExitCode(
            210, "The tight-binding model cannot be used: {reason}. Store the model again from a valid file."
        ),
        "ERROR_MODEL_NOT_TWO_DIMENSIONAL": ExitCode(211, "The model is not a 2D crystal: {reason}."),
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
        "ERROR_RESPONSE_FAILED": ExitCode(220, "The physics core refused the input: {reason}."),
    }
)


@calcfunction
def compute_susceptibility(tight_binding, parameters):
    """chi(mu, T) (nm/Ohm) and alpha(mu, T) (nA nm/K) of a 2D tight-binding model (Xiao et al., PRB 103, 045401)."""
    try:
        settings = parse_parameters(parameters.get_dict())
    except ParameterError as error:
        return EXIT_CODES[error.kind].format(reason=_reason(error))
    try:
        model = tight_binding.get_model()
    except ValueError as error:
        return EXIT_CODES.ERROR_INVALID_MODEL.format(reason=_reason(error))
    if settings.relative_to_fermi_energy and model.fermi_energy is None:
        return EXIT_CODES.ERROR_FERMI_ENERGY_UNKNOWN
    shift = model.fermi_energy if settings.relative_to_fermi_energy else 0.0  # eV
    if settings.conventions.position_operator == "full" and not model.has_position:
        return EXIT_CODES.ERROR_POSITION_MATRIX_MISSING
    try:
        model.check_two_dimensional(settings.conventions.max_out_of_plane_hopping)
    except ValueError as error:
        return EXIT_CODES.ERROR_MODEL_NOT_TWO_DIMENSIONAL.format(reason=_reason(error))
    try:
        result = response.compute_susceptibility(
            model,
            settings.mu + shift,
            settings.temperature,
            settings.kmesh,
            conventions=settings.conventions,
            relaxation_time_fs=settings.relaxation_time_fs,
            kmesh_error=settings.kmesh_error,
            execution=Execution(max_kpoints=settings.max_kpoints),
        )
        lam = None
        if settings.lambda_map_mu is not None:
            lam = response.lambda_map(
                model,
                settings.lambda_map_mu + shift,
                settings.lambda_map_temperature,
                kmesh=settings.kmesh,
                conventions=settings.conventions,
            )
        # the symmetry check maps Lambda(k) once more, through the physics core
        summary = checks.summary(result, model, settings.symmetry_operations)
    except ValueError as error:
        return EXIT_CODES.ERROR_RESPONSE_FAILED.format(reason=_reason(error))
    return output_nodes(result, summary, lam)


def output_nodes(result: response.SusceptibilityResult, summary: dict, lam: response.LambdaMap | None) -> dict:
    """The output nodes (link label -> unstored node) of a result, its summary and an optional Lambda(k) map."""
    outputs = {"chi": chi_node(result), "alpha": alpha_node(result), "summary": Dict(summary)}
    if result.chi_extrinsic is not None:
        outputs["extrinsic"] = extrinsic_node(result)
    if lam is not None:
        outputs["lambda_map"] = lambda_map_node(lam)
    return outputs


def _reason(error: Exception) -> str:
    """The error's text without its final period (the messages add one)."""
    return str(error).strip().rstrip(".")


def _with_axes(node: ArrayData, result, units: dict) -> ArrayData:
    node.set_array("mu", result.mu)
    node.set_array("temperature", result.temperature)
    node.base.attributes.set("units", {"mu": "eV", "temperature": "K", **units})
    node.base.attributes.set("axes", ["temperature", "mu", "component (x, y)"])
    return node


def chi_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("chi", result.chi_nm_per_ohm)
    node.set_array("chi_reduced", result.chi)
    array_units = {"chi": "nm/Ohm", "chi_reduced": "(e^2/hbar) Angstrom"}
    if result.chi_kmesh_error is not None:
        node.set_array("chi_kmesh_error", result.chi_kmesh_error_nm_per_ohm)
        array_units["chi_kmesh_error"] = "nm/Ohm"
    return _with_axes(node, result, array_units)


def alpha_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("alpha", result.alpha_na_nm_per_k)
    node.set_array("alpha_reduced", result.alpha)
    array_units = {"alpha": "nA nm/K", "alpha_reduced": "(|e| k_B/hbar) Angstrom"}
    if result.alpha_kmesh_error is not None:
        node.set_array("alpha_kmesh_error", result.alpha_kmesh_error_na_nm_per_k)
        array_units["alpha_kmesh_error"] = "nA nm/K"
    return _with_axes(node, result, array_units)


def extrinsic_node(result) -> ArrayData:
    node = ArrayData()
    node.set_array("chi", result.chi_extrinsic_nm_per_ohm)
    node.set_array("alpha", result.alpha_extrinsic_na_nm_per_k)
    node.base.attributes.set("relaxation_time_fs", result.settings["relaxation_time_fs"])
    return _with_axes(node, result, {"chi": "nm/Ohm", "alpha": "nA nm/K"})


def lambda_map_node(lam: response.LambdaMap) -> ArrayData:
    node = ArrayData()
    node.set_array("kpoints", lam.kpoints)
    node.set_array("lambda", lam.values)
    node.base.attributes.set("units", {"kpoints": "1/Angstrom", "lambda": "(e/hbar) Angstrom^3"})
    node.base.attributes.set("mu_eV", float(lam.mu))
    node.base.attributes.set("temperature_K", float(lam.temperature))
    node.base.attributes.set("kmesh", list(lam.kmesh))
    return node
