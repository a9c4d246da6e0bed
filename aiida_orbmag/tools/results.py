"""The results table of a screening group: one row per ``orbmag.susceptibility`` chain, finished or not.

The scalar columns are QueryBuilder projections of attributes (the ``summary``, ``magnetic_energies``,
``quality_report`` Dicts and the model's Fermi energy) and of the chain's extras, so no node is loaded for them. Three
columns need arrays and read only the arrays they need of finished chains: the band gap (the NSCF bands), alpha/T
(the alpha node) and the relative k-mesh error (the chi node).
"""

from __future__ import annotations

import math

import numpy as np
from aiida import orm

#: column -> (header, format) of the printed table, in order
COLUMNS = {
    "pk": ("PK", "{}"),
    "formula": ("formula", "{}"),
    "stacking": ("stacking", "{}"),
    "strain": ("strain", "{:+.3f}"),
    "state": ("state", "{}"),
    "ground_state": ("ground state", "{}"),
    "margin_meV": ("margin meV/M", "{:.2f}"),
    "gap_eV": ("grid gap eV", "{:.3f}"),
    "allowed": ("chi allowed", "{}"),
    "chi_max": ("max|chi| nm/Ohm", "{:.3e}"),
    "mu_at_chi_max": ("at mu-E_F eV", "{:+.3f}"),
    "alpha_over_T": ("alpha/T nA nm/K^2", "{:.3e}"),
    "T_low": ("at T K", "{:g}"),
    "forbidden_fraction": ("forbidden", "{:.1e}"),
    "kmesh_error": ("k-mesh err", "{:.1e}"),
    "wannier_dev_eV": ("W90 dev eV", "{:.1e}"),
    "wannier_dev_off_grid_eV": ("W90 off-grid eV", "{:.1e}"),
    "symmetry_dev_eV": ("sym dev eV", "{:.1e}"),
    "exit_status": ("exit", "{}"),
}
OUTPUT_ATTRIBUTES = {
    "summary": {"largest_chi": "largest_chi", "symmetry": "symmetry"},
    "magnetic_energies": {"ground_state": "ground_state", "selection": "selection", "candidates": "candidates"},
    "quality_report": {
        "max_frozen_window_deviation_eV": "wannier_dev_eV",
        "max_frozen_window_deviation_off_grid_eV": "wannier_dev_off_grid_eV",
        "max_symmetry_band_deviation_eV": "symmetry_dev_eV",
    },
    "tight_binding": {"fermi_energy": "fermi_energy"},
}


def _chains(group: orm.Group) -> dict[int, dict]:
    query = orm.QueryBuilder().append(orm.Group, filters={"id": group.pk}, tag="group")
    query.append(
        orm.WorkflowNode,
        with_group="group",
        tag="chain",
        project=["id", "extras", "attributes.process_state", "attributes.exit_status", "attributes.process_label"],
    )
    rows = {}
    for pk, extras, state, exit_status, label in query.all():
        rows[pk] = {
            "pk": pk,
            "formula": extras.get("formula"),
            "stacking": extras.get("stacking"),
            "layers": extras.get("layers"),
            "strain": extras.get("strain"),
            "protocol": extras.get("protocol"),
            "process": label,
            "state": state,
            "exit_status": exit_status,
        }
    return rows


def _outputs(group: orm.Group, link_label: str, attributes: dict) -> dict[int, dict]:
    """{chain pk: {column: value}} of the chains' output ``link_label``: its attributes, projected."""
    query = orm.QueryBuilder().append(orm.Group, filters={"id": group.pk}, tag="group")
    query.append(orm.WorkflowNode, with_group="group", tag="chain", project=["id"])
    query.append(
        orm.Data,
        with_incoming="chain",
        edge_filters={"label": link_label},
        project=["id", *(f"attributes.{key}" for key in attributes)],
    )
    found = {}
    for chain, node, *values in query.all():
        found[chain] = {"node": node, **dict(zip(attributes.values(), values, strict=True))}
    return found


def _margin(energies: dict) -> float | None:
    """The energy (meV per magnetic atom) of the nearest competing order above the ground state; None if fixed."""
    others = [
        row["relative_energy_meV_per_magnetic_atom"]
        for name, row in (energies.get("candidates") or {}).items()
        if name != energies.get("ground_state") and "relative_energy_meV_per_magnetic_atom" in row
    ]
    return min(others) if others else None


def _state(row: dict) -> str:
    state = row["state"] or "created"
    if state == "finished":
        return "finished" if row["exit_status"] == 0 else f"failed [{row['exit_status']}]"
    return state


def band_gap(bands: orm.BandsData, fermi_energy: float) -> float:
    """Smallest energy (eV) from the top of the occupied states to the bottom of the empty ones (0: metal).

    The occupied states are counted from the electrons of the pw.x run that made ``bands`` (one per band of a
    noncollinear run, two of a non-magnetic collinear one), not placed under ``fermi_energy``: pw.x's smeared Fermi
    level of an insulator can lie a few meV inside its valence band (in bilayer CrI3 5 meV, which made the gap by E_F
    0.09 eV instead of 0.86 eV). Bands of an unknown origin, or of spin-polarised collinear runs, fall back to the
    states under ``fermi_energy``.
    """
    energies = np.asarray(bands.get_bands(), dtype=float)
    occupied = occupied_band_count(bands)
    if occupied is not None and energies.ndim == 2 and 0 < occupied < energies.shape[1]:
        top, bottom = band_edges_by_count(energies, occupied)
        return max(0.0, bottom - top)
    energies = energies.ravel()
    below, above = energies[energies <= fermi_energy], energies[energies > fermi_energy]
    if not len(below) or not len(above):
        return math.nan
    return float(max(0.0, above.min() - below.max()))


def band_edges_by_count(energies: np.ndarray, occupied: int) -> tuple[float, float]:
    """(top of the ``occupied`` lowest states, bottom of the rest) in eV of (nk, nb) energies, over all k."""
    ordered = np.sort(np.asarray(energies, dtype=float), axis=1)
    return float(ordered[:, :occupied].max()), float(ordered[:, occupied:].min())


def occupied_band_count(bands: orm.BandsData) -> int | None:
    """Number of occupied bands of a pw.x band structure, from its run's electron count; None when not known (no
    pw.x creator, a fractional count, or a spin-polarised collinear run whose two channels share the count)."""
    creator = bands.creator
    if creator is None or "output_parameters" not in creator.outputs:
        return None
    parameters = creator.outputs.output_parameters.get_dict()
    electrons = parameters.get("number_of_electrons")
    if electrons is None or parameters.get("lsda") or abs(electrons - round(electrons)) > 1e-6:
        return None
    if parameters.get("non_colinear_calculation"):
        return int(round(electrons))
    return int(round(electrons)) // 2 if round(electrons) % 2 == 0 else None


def _from_arrays(row: dict, ids: dict) -> None:
    """The columns read from arrays: band gap, alpha/T at the lowest T > 0 at E_F, relative k-mesh error."""
    fermi = row.get("fermi_energy")
    if "band_structure" in ids and fermi is not None:
        row["gap_eV"] = band_gap(orm.load_node(ids["band_structure"]), fermi)
    if "alpha" in ids:
        alpha = orm.load_node(ids["alpha"])
        temperatures, mu = alpha.get_array("temperature"), alpha.get_array("mu")
        warm = np.flatnonzero(temperatures > 0)
        if len(warm) and fermi is not None:
            t = warm[np.argmin(temperatures[warm])]
            i = int(np.argmin(np.abs(mu - fermi)))
            row["alpha_over_T"] = float(np.abs(alpha.get_array("alpha")[t, i]).max() / temperatures[t])
            row["T_low"] = float(temperatures[t])
    if "chi" in ids:
        chi = orm.load_node(ids["chi"])
        if "chi_kmesh_error" in chi.get_arraynames():
            scale = np.abs(chi.get_array("chi")).max()
            row["kmesh_error"] = float(np.abs(chi.get_array("chi_kmesh_error")).max() / scale) if scale else math.nan


def results_table(group: orm.Group) -> list[dict]:
    """One row (dict of :data:`COLUMNS` and a few more) per work chain of ``group``, ordered by PK."""
    rows = _chains(group)
    per_output = {label: _outputs(group, label, attributes) for label, attributes in OUTPUT_ATTRIBUTES.items()}
    arrays = {label: _outputs(group, label, {}) for label in ("chi", "alpha", "band_structure")}
    for pk, row in rows.items():
        for found in per_output.values():
            row.update({k: v for k, v in found.get(pk, {}).items() if k != "node"})
        row["state"] = _state(row)
        largest, report = row.pop("largest_chi", None), row.pop("symmetry", None)
        if largest:
            row["chi_max"] = largest["magnitude_nm_per_ohm"]
            row["mu_at_chi_max"] = largest["mu_eV"] - (row.get("fermi_energy") or 0.0)
        if report and report.get("known"):
            row["allowed"] = "".join(axis for axis in "xy" if report["intrinsic_allowed"][axis]) or "none"
            row["forbidden_fraction"] = report.get("intrinsic_forbidden_fraction")
        candidates = row.pop("candidates", None)
        if row.get("ground_state") is not None:
            row["margin_meV"] = _margin({"candidates": candidates, "ground_state": row["ground_state"]})
            if row.pop("selection", None) == "fixed":
                row["ground_state"] += " (fixed)"
        _from_arrays(row, {label: found[pk]["node"] for label, found in arrays.items() if pk in found})
    return [rows[pk] for pk in sorted(rows)]


def format_table(rows: list[dict]) -> str:
    """The rows as a text table with the headers of :data:`COLUMNS` (``-`` where a value is missing)."""

    def cell(row, key):
        value = row.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        try:
            return COLUMNS[key][1].format(value)
        except (ValueError, TypeError):
            return str(value)

    table = [[header for header, _ in COLUMNS.values()]] + [[cell(row, key) for key in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(text.rjust(width) for text, width in zip(line, widths, strict=True)) for line in table)
