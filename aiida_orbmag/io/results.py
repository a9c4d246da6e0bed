"""The JSON document of ``aiida-orbmag compute --json``: written from a result, and read back into one.

The document holds chi and alpha in the units people read (nm/Ohm, nA nm/K) and, so that a reader can rebuild the
:class:`~aiida_orbmag.physics.response.SusceptibilityResult` exactly, in the core's reduced units too
(``chi_reduced`` in (e²/hbar) Å, ``alpha_reduced`` in (|e| k_B/hbar) Å). JSON writes a float as its shortest
round-trip representation, so the reduced arrays read back are the computed ones bit for bit. The
``orbmag.compute`` CalcJob's parser turns the document into the same output nodes as the calcfunction
``orbmag.compute_susceptibility``.

Top-level keys: ``mu_eV``, ``temperature_K``, ``chi_nm_per_ohm``, ``alpha_nA_nm_per_K`` (n_T, n_mu, 2),
``chi_reduced``, ``alpha_reduced``, ``metadata``, ``checks`` (:func:`aiida_orbmag.physics.checks.summary`), and on
request ``extrinsic``, ``kmesh_error`` and ``lambda_map`` (``kpoints_per_angstrom`` (nk, 2), ``lambda_reduced``
(nk, 2) in (e/hbar) Å³, ``mu_eV``, ``temperature_K``, ``kmesh``).
"""

from __future__ import annotations

import numpy as np

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.response import LambdaMap, SusceptibilityResult

#: Keys of the document that other tools read; keep them stable.
DOCUMENT_KEYS = ("mu_eV", "temperature_K", "chi_nm_per_ohm", "alpha_nA_nm_per_K", "metadata", "checks")


def susceptibility_document(
    model, result: SusceptibilityResult, summary: dict, fermi_energy: float | None = None, lambda_map=None
) -> dict:
    """The document of ``result`` (and ``summary``, the optional ``lambda_map``); with ``fermi_energy`` the mu are
    relative to it (metadata says so) and the reduced arrays are still the computed ones."""
    relative = {"relative_to_fermi_energy": fermi_energy is not None, "fermi_energy_eV": fermi_energy}
    document = {
        "mu_eV": (result.mu - (fermi_energy or 0.0)).tolist(),
        "temperature_K": result.temperature.tolist(),
        "chi_nm_per_ohm": result.chi_nm_per_ohm.tolist(),
        "alpha_nA_nm_per_K": result.alpha_na_nm_per_k.tolist(),
        "chi_reduced": result.chi.tolist(),
        "alpha_reduced": result.alpha.tolist(),
        "metadata": {
            **result.metadata(),
            **relative,
            "computed_mu_eV": result.mu.tolist(),
            "max_out_of_plane_hopping_eV": result.conventions.max_out_of_plane_hopping,
            "model": model.summary(),
            "alpha_sign_convention": "electron charge -|e|",
            "reduced_units": {"chi_reduced": "(e^2/hbar) Angstrom", "alpha_reduced": "(|e| k_B/hbar) Angstrom"},
        },
        "checks": summary,
    }
    if result.chi_extrinsic is not None:
        document["extrinsic"] = {
            "relaxation_time_fs": result.settings["relaxation_time_fs"],
            "chi_nm_per_ohm": result.chi_extrinsic_nm_per_ohm.tolist(),
            "alpha_nA_nm_per_K": result.alpha_extrinsic_na_nm_per_k.tolist(),
            "chi_reduced": result.chi_extrinsic.tolist(),
            "alpha_reduced": result.alpha_extrinsic.tolist(),
        }
    if result.chi_kmesh_error is not None:
        document["kmesh_error"] = {
            "coarse_kmesh": list(result.coarse_kmesh),
            "chi_nm_per_ohm": result.chi_kmesh_error_nm_per_ohm.tolist(),
            "alpha_nA_nm_per_K": result.alpha_kmesh_error_na_nm_per_k.tolist(),
            "chi_reduced": result.chi_kmesh_error.tolist(),
            "alpha_reduced": result.alpha_kmesh_error.tolist(),
        }
    if lambda_map is not None:
        document["lambda_map"] = {
            "mu_eV": lambda_map.mu,
            "temperature_K": lambda_map.temperature,
            "kmesh": list(lambda_map.kmesh),
            "kpoints_per_angstrom": lambda_map.kpoints.tolist(),
            "lambda_reduced": lambda_map.values.tolist(),
        }
    return document


def read_susceptibility_document(document: dict) -> tuple[SusceptibilityResult, LambdaMap | None, dict]:
    """(result, Lambda map or None, checks) of a document written by :func:`susceptibility_document`.

    ValueError naming what is missing or malformed (a document of an older version without the reduced arrays, a
    truncated file).
    """
    try:
        return _result(document), _lambda_map(document.get("lambda_map")), dict(document["checks"])
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(
            f"The susceptibility document lacks or garbles {error}; it was not written by this version of "
            "aiida-orbmag compute --json, or it is truncated."
        ) from None


def _array(values, shape_tail: tuple[int, ...], name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.shape[array.ndim - len(shape_tail) :] != shape_tail:
        raise ValueError(f"The document's {name} has shape {array.shape}, expected (..., {shape_tail}).")
    return array


def _result(document: dict) -> SusceptibilityResult:
    metadata, checks = document["metadata"], document["checks"]
    settings = dict(checks["conventions"])
    conventions = Conventions(
        bloch_convention=settings["bloch_convention"],
        position_operator=settings["position_operator"],
        metric_form=settings["metric_form"],
        degeneracy_tol=settings["degeneracy_tol_eV"],
        max_out_of_plane_hopping=metadata["max_out_of_plane_hopping_eV"],
    )
    mu = _array(metadata["computed_mu_eV"], (), "computed_mu_eV")
    temperature = _array(document["temperature_K"], (), "temperature_K")
    shape = (len(temperature), len(mu), 2)
    arrays = {"chi": _array(document["chi_reduced"], shape, "chi_reduced")}
    arrays["alpha"] = _array(document["alpha_reduced"], shape, "alpha_reduced")
    extrinsic, errors = document.get("extrinsic"), document.get("kmesh_error")
    if extrinsic is not None:
        arrays["chi_extrinsic"] = _array(extrinsic["chi_reduced"], shape, "extrinsic chi_reduced")
        arrays["alpha_extrinsic"] = _array(extrinsic["alpha_reduced"], shape, "extrinsic alpha_reduced")
    if errors is not None:
        arrays["chi_kmesh_error"] = _array(errors["chi_reduced"], shape, "kmesh_error chi_reduced")
        arrays["alpha_kmesh_error"] = _array(errors["alpha_reduced"], shape, "kmesh_error alpha_reduced")
    return SusceptibilityResult(
        mu=mu,
        temperature=temperature,
        kmesh=tuple(checks["kmesh"]),
        settings=settings,
        diagnostics=dict(checks["diagnostics"]),
        coarse_kmesh=None if errors is None else tuple(errors["coarse_kmesh"]),
        conventions=conventions,
        **arrays,
    )


def _lambda_map(section: dict | None) -> LambdaMap | None:
    if section is None:
        return None
    kpoints = _array(section["kpoints_per_angstrom"], (2,), "lambda_map kpoints")
    values = _array(section["lambda_reduced"], (2,), "lambda_map lambda_reduced")
    return LambdaMap(
        kpoints=kpoints,
        values=values,
        mu=float(section["mu_eV"]),
        temperature=float(section["temperature_K"]),
        kmesh=tuple(section["kmesh"]),
    )
