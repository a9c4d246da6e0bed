"""The ``parameters`` Dict of ``orbmag.compute_susceptibility``: its keys, defaults and validation.

| key                           | type               | unit | default    | meaning                            |
|-------------------------------|--------------------|------|------------|------------------------------------|
| `chemical_potentials`         | list of float      | eV   |            | chemical potentials (or the range) |
| `chemical_potential_range`    | [start, stop, num] | eV   |            | `num` evenly spaced values         |
| `relative_to_fermi_energy`    | bool               |      | False      | mu from the Fermi level            |
| `temperatures`                | list of float      | K    | [0.0]      | temperatures                       |
| `kmesh`                       | [n1, n2]           |      | (required) | Gamma-centred k grid               |
| `degeneracy_tol`              | float              | eV   | (*)        | cluster width                      |
| `tight_binding_approximation` | bool               |      | (*)        | diagonal position operator         |
| `bloch_convention`            | "I" or "II"        |      | (*)        | Bloch phases                       |
| `metric_form`                 | str                |      | (*)        | "analytic" or "fermi_surface"      |
| `relaxation_time_fs`          | float              | fs   | None       | also the extrinsic part            |
| `lambda_map_mu`               | float              | eV   | None       | also a Lambda(k) map               |
| `lambda_map_temperature`      | float              | K    | 0.0        | its temperature                    |
| `max_out_of_plane_hopping`    | float              | eV   | (*)        | largest hopping along a3           |
| `symmetry_operations`         | list of dict       |      | None       | magnetic point group (below)       |
| `kmesh_error`                 | bool               |      | False      | also the estimated k-mesh error    |
| `max_kpoints`                 | int                |      | 4000000    | largest n1 n2 accepted (its cost)  |

(*) The defaults of :class:`~aiida_orbmag.physics.conventions.Conventions` (the full position operator, so
``tight_binding_approximation`` false), defined there once: ``aiida_orbmag.physics.conventions.DEFAULT_CONVENTIONS``.

A symmetry operation is ``{"rotation": [[r11, r12], [r21, r22]], "time_reversal": bool}``: its in-plane Cartesian
2x2 block and whether it is combined with time reversal.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aiida_orbmag.physics import symmetry
from aiida_orbmag.physics.conventions import BLOCH_CONVENTIONS, DEFAULT_CONVENTIONS, METRIC_FORMS, Conventions
from aiida_orbmag.physics.kgrid import DEFAULT_MAX_KPOINTS, MAX_CHEMICAL_POTENTIALS, check_kmesh

DEFAULTS = {
    "relative_to_fermi_energy": False,
    "temperatures": [0.0],
    "degeneracy_tol": DEFAULT_CONVENTIONS.degeneracy_tol,
    "tight_binding_approximation": DEFAULT_CONVENTIONS.position_operator == "diagonal",
    "bloch_convention": DEFAULT_CONVENTIONS.bloch_convention,
    "metric_form": DEFAULT_CONVENTIONS.metric_form,
    "relaxation_time_fs": None,
    "lambda_map_mu": None,
    "lambda_map_temperature": 0.0,
    "max_out_of_plane_hopping": DEFAULT_CONVENTIONS.max_out_of_plane_hopping,
    "symmetry_operations": None,
    "kmesh_error": False,
    "max_kpoints": DEFAULT_MAX_KPOINTS,
}
KNOWN_KEYS = {"chemical_potentials", "chemical_potential_range", "kmesh", *DEFAULTS}


class ParameterError(ValueError):
    """An invalid parameter set; ``kind`` names the exit code that reports it."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclasses.dataclass(frozen=True)
class SusceptibilityParameters:
    """The validated parameters, in the physics core's terms (``conventions`` as the core takes them)."""

    mu: np.ndarray
    temperature: np.ndarray
    kmesh: tuple[int, int]
    relative_to_fermi_energy: bool
    conventions: Conventions
    relaxation_time_fs: float | None
    lambda_map_mu: float | None
    lambda_map_temperature: float
    symmetry_operations: list[symmetry.PointOperation] | None
    kmesh_error: bool = False
    max_kpoints: int = DEFAULT_MAX_KPOINTS


def parse_parameters(raw: dict) -> SusceptibilityParameters:
    """Validate ``raw`` (the Dict's content); ParameterError with the exit-code kind and a full-sentence reason."""
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        known = sorted(KNOWN_KEYS)
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"unknown keys {unknown}; the known keys are {known}")
    values = {**DEFAULTS, **raw}
    temperature = _number_list(values["temperatures"], "temperatures", "ERROR_INVALID_TEMPERATURES")
    if np.any(temperature < 0):
        raise ParameterError("ERROR_INVALID_TEMPERATURES", f"temperatures must be >= 0 K, got {temperature.tolist()}")
    if values["bloch_convention"] not in BLOCH_CONVENTIONS:
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"bloch_convention must be one of {BLOCH_CONVENTIONS}")
    if values["metric_form"] not in METRIC_FORMS:
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"metric_form must be one of {METRIC_FORMS}")
    relaxation_time = _optional_positive(values["relaxation_time_fs"], "relaxation_time_fs")
    if np.any(temperature == 0) and (relaxation_time is not None or values["metric_form"] == "fermi_surface"):
        raise ParameterError(
            "ERROR_INVALID_TEMPERATURES",
            "the extrinsic response (relaxation_time_fs) and metric_form 'fermi_surface' are Fermi-surface "
            f"integrals that need temperatures > 0 K, got {temperature.tolist()}; use a small positive temperature",
        )
    max_kpoints = values["max_kpoints"]
    if isinstance(max_kpoints, bool) or not isinstance(max_kpoints, int) or max_kpoints < 1:
        raise ParameterError("ERROR_INVALID_KMESH", f"max_kpoints must be a positive integer, got {max_kpoints!r}")
    return SusceptibilityParameters(
        mu=_chemical_potentials(raw),
        temperature=temperature,
        kmesh=_kmesh(raw.get("kmesh"), max_kpoints),
        relative_to_fermi_energy=_flag(values, "relative_to_fermi_energy"),
        conventions=_conventions(values),
        relaxation_time_fs=relaxation_time,
        lambda_map_mu=None if values["lambda_map_mu"] is None else _finite(values["lambda_map_mu"], "lambda_map_mu"),
        lambda_map_temperature=_non_negative(values["lambda_map_temperature"], "lambda_map_temperature"),
        symmetry_operations=_symmetry_operations(values["symmetry_operations"]),
        kmesh_error=_flag(values, "kmesh_error"),
        max_kpoints=max_kpoints,
    )


def _conventions(values: dict) -> Conventions:
    """The core's Conventions from the (already name-checked) convention keys of ``values``."""
    return Conventions(
        degeneracy_tol=_non_negative(values["degeneracy_tol"], "degeneracy_tol"),
        position_operator="diagonal" if _flag(values, "tight_binding_approximation") else "full",
        bloch_convention=values["bloch_convention"],
        metric_form=str(values["metric_form"]),
        max_out_of_plane_hopping=_non_negative(values["max_out_of_plane_hopping"], "max_out_of_plane_hopping"),
    )


def _chemical_potentials(raw: dict) -> np.ndarray:
    has_list, has_range = "chemical_potentials" in raw, "chemical_potential_range" in raw
    if has_list == has_range:
        raise ParameterError(
            "ERROR_EMPTY_CHEMICAL_POTENTIALS",
            "give exactly one of chemical_potentials (a list, eV) or chemical_potential_range ([start, stop, num])",
        )
    if has_list:
        return _number_list(raw["chemical_potentials"], "chemical_potentials", "ERROR_EMPTY_CHEMICAL_POTENTIALS")
    span = raw["chemical_potential_range"]
    if not (
        isinstance(span, list | tuple)
        and len(span) == 3
        and isinstance(span[2], int)
        and not isinstance(span[2], bool)
        and 1 <= span[2] <= MAX_CHEMICAL_POTENTIALS
    ):
        raise ParameterError(
            "ERROR_EMPTY_CHEMICAL_POTENTIALS",
            f"chemical_potential_range must be [start, stop, num] with an integer 1 <= num <= "
            f"{MAX_CHEMICAL_POTENTIALS}, got {span!r}",
        )
    return np.linspace(_finite(span[0], "start"), _finite(span[1], "stop"), span[2])


def _number_list(value, name: str, kind: str) -> np.ndarray:
    if not isinstance(value, list | tuple) or not value:
        raise ParameterError(kind, f"{name} must be a non-empty list of numbers, got {value!r}")
    if len(value) > MAX_CHEMICAL_POTENTIALS:
        raise ParameterError(kind, f"{name} holds {len(value)} values, more than {MAX_CHEMICAL_POTENTIALS} accepted")
    if any(isinstance(item, bool) or not isinstance(item, int | float) for item in value):
        # a string "0.1" or true would otherwise be taken as a number by numpy
        raise ParameterError(kind, f"{name} must hold numbers only (not strings or booleans), got {value!r}")
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(kind, f"{name} must hold numbers only, got {value!r}") from None
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ParameterError(kind, f"{name} must be a flat list of finite numbers, got {value!r}")
    return array


def _kmesh(value, max_kpoints: int) -> tuple[int, int]:
    if not (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)
    ):
        raise ParameterError("ERROR_INVALID_KMESH", f"kmesh must be two positive integers [n1, n2], got {value!r}")
    try:
        return check_kmesh(value, max_kpoints)
    except ValueError as error:
        raise ParameterError("ERROR_INVALID_KMESH", str(error).rstrip(".")) from None


def _finite(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"{name} must be a finite number, got {value!r}")
    return float(value)


def _non_negative(value, name: str) -> float:
    value = _finite(value, name)
    if value < 0:
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"{name} must be >= 0, got {value}")
    return value


def _optional_positive(value, name: str) -> float | None:
    if value is None:
        return None
    value = _finite(value, name)
    if value <= 0:
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"{name} must be > 0, got {value}")
    return value


def _flag(values: dict, name: str) -> bool:
    if not isinstance(values[name], bool):
        raise ParameterError("ERROR_INVALID_PARAMETERS", f"{name} must be true or false, got {values[name]!r}")
    return values[name]


def _symmetry_operations(value) -> list[symmetry.PointOperation] | None:
    if value is None:
        return None
    try:
        return symmetry.operations_from_dicts(value)
    except ValueError as error:
        raise ParameterError("ERROR_INVALID_SYMMETRY", str(error)) from None
