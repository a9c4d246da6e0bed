"""The steps of ``orbmag.wannierization`` without the work chain: validation at submission; the NSCF, pw2wannier90 and
wannier90 parameters assembled from the projections, the NSCF bands and the windows; the uniform k-grid as an
explicit list; and what the work chain reports of the quality of the model."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_orbmag.calculations.wannier90_inputs import mp_grid_of, uniform_kpoint_list
from aiida_orbmag.io.upf import parse_projection_letters
from aiida_orbmag.physics.disentanglement import ISOLATION_GAP_EV, WindowChoice
from aiida_orbmag.workflows.projections import ProjectionChoice, choose_projections
from aiida_orbmag.workflows.protocols.utils import default_input

#: Bands computed by the NSCF beyond the Wannier manifold (at least this many, or a quarter of num_wann).
EXTRA_BANDS_MIN = 4


def validate_inputs(inputs, _):
    """One source of the SCF charge density; a noncollinear NSCF; projections given or choosable."""
    if ("scf" in inputs) == ("parent_folder" in inputs):
        return "Give exactly one of `scf` (run the SCF) or `parent_folder` (a converged noncollinear SCF's folder)."
    system = inputs["nscf"]["pw"]["parameters"].get_dict().get("SYSTEM", {})
    if not system.get("noncolin", False):
        return (
            "The Wannierisation builds a spinor model: set SYSTEM.noncolin = True (and lspinorb = True for spin-orbit "
            "coupling) in nscf.pw.parameters."
        )
    if "projections" in inputs and "projection_orbitals" in inputs:
        return "Give either `projections` (explicit lines) or `projection_orbitals` (letters per element), not both."
    return None


def validate_projection_orbitals(node, _):
    try:
        for letters in node.get_dict().values():
            parse_projection_letters(letters)
    except (ValueError, AttributeError) as error:
        return f"The projection_orbitals are invalid: {error}"
    return None


def projection_choice(inputs) -> ProjectionChoice:
    """The projections of the work chain's ``inputs``: ``projections`` lines, ``projection_orbitals`` per element, or
    the valence orbitals of each kind's pseudopotential (``nscf.pw.pseudos``); ValueError when none can be chosen."""
    explicit, per_element = inputs.get("projections"), inputs.get("projection_orbitals")
    return choose_projections(
        inputs["structure"],
        inputs["nscf"]["pw"]["pseudos"],
        explicit=explicit.get_list() if explicit is not None else None,
        orbitals_per_element=per_element.get_dict() if per_element is not None else None,
        spinor=True,
    )


def nscf_parameters(parameters: dict, choice: ProjectionChoice) -> dict:
    """pw.x ``parameters`` of the SCF made those of the NSCF on the full grid: no symmetry, enough bands for the
    manifold, the excluded bands below it and ``EXTRA_BANDS_MIN`` more (``nbnd`` given by the user is kept)."""
    parameters.setdefault("CONTROL", {})["calculation"] = "nscf"
    system = parameters.setdefault("SYSTEM", {})
    system.update({"nosym": True, "noinv": True})
    extra = max(EXTRA_BANDS_MIN, choice.num_wann // 4)
    system.setdefault("nbnd", max(choice.num_excluded + choice.num_wann, choice.num_electrons) + extra)
    parameters.setdefault("ELECTRONS", {})["diago_full_acc"] = True
    return parameters


def pw2wannier90_parameters(parameters: dict) -> dict:
    """pw2wannier90.x ``parameters`` with the overlaps (amn, mmn) switched on, the periodic parts off unless asked."""
    inputpp = parameters.setdefault("INPUTPP", {})
    inputpp.update({"write_amn": True, "write_mmn": True})
    inputpp.setdefault("write_unk", False)
    return parameters


def wannier90_parameters(given: dict, windows: WindowChoice, fermi_energy: float) -> dict:
    """wannier90 keywords: the protocol file's ``wannier90_parameters`` (the defaults), those ``given``, then the
    band counts and windows of ``windows``, spinors and the Fermi level (eV)."""
    parameters = {**default_input("wannierization", "wannier90_parameters"), **{k.lower(): v for k, v in given.items()}}
    parameters.update(windows.wannier90_parameters())
    parameters.update({"spinors": True, "fermi_energy": round(fermi_energy, 6)})
    return parameters


def window_choice(windows: WindowChoice, fermi_energy: float, projections: ProjectionChoice) -> orm.Dict:
    """The windows, band counts and projections chosen, as the quality report takes them (eV)."""
    return orm.Dict(
        {
            **windows.wannier90_parameters(),
            "frozen_window": list(windows.frozen_window),
            "gap_below_manifold_eV": windows.gap_below_manifold,
            "gap_above_manifold_eV": windows.gap_above_manifold,
            "frozen_window_lowered": windows.frozen_window_lowered,
            "fermi_energy_eV": fermi_energy,
            "projections": projections.lines,
        }
    )


def grid_kpoints(mesh: orm.KpointsData, structure: orm.StructureData, shift=(0.0, 0.0, 0.0)) -> orm.KpointsData:
    """The full Wannier grid ``mesh`` as an explicit, equally weighted list in its own order, shifted by ``shift``
    (fractional)."""
    grid = uniform_kpoint_list(mesh) + np.asarray(shift, dtype=float)
    kpoints = orm.KpointsData()
    kpoints.set_cell_from_structure(structure)
    kpoints.set_kpoints(grid, weights=[1.0 / len(grid)] * len(grid))
    return kpoints


def half_step_shift(mesh: orm.KpointsData) -> list[float]:
    """Half a step of the uniform grid ``mesh`` along each axis that has more than one k-point (fractional)."""
    return [0.5 / n if n > 1 else 0.0 for n in mp_grid_of(uniform_kpoint_list(mesh))]


def window_messages(windows: WindowChoice) -> list[str]:
    """Warnings about the chosen ``windows`` (eV): excluded bands overlapping the manifold, a lowered frozen window."""
    messages = []
    if windows.gap_below_manifold is not None and windows.gap_below_manifold <= 0:
        messages.append(f"warning: the excluded bands overlap the manifold by {-windows.gap_below_manifold:.3f} eV")
    if windows.gap_above_manifold is not None and windows.gap_above_manifold >= ISOLATION_GAP_EV:
        messages.append(
            f"the {windows.num_wann} states lie {windows.gap_above_manifold:.3f} eV under the next ones: the frozen "
            "window takes them all"
        )
    if windows.frozen_window_lowered:
        messages.append(f"warning: the frozen window was lowered to {windows.dis_froz_max:.3f} eV to fit num_wann")
    return messages


def quality_messages(report) -> list[str]:
    """What the work chain reports of the quality ``report`` (eV, Å): the frozen-window match, and a warning when
    the model breaks the magnetic symmetry."""
    messages = [
        "the model reproduces the DFT states in the frozen window to "
        f"{report['max_frozen_window_deviation_eV']:.2e} eV on the grid, "
        f"{report.get('max_frozen_window_deviation_off_grid_eV', float('nan')):.2e} eV off it"
        + (
            f"; the isolated manifold, band by band, to {report['max_manifold_deviation_eV']:.2e} eV on the grid, "
            f"{report.get('max_manifold_deviation_off_grid_eV', float('nan')):.2e} eV off it"
            if "max_manifold_deviation_eV" in report
            else ""
        )
    ]
    if report.get("model_keeps_symmetry") is False:
        messages.append(
            "warning: the model breaks the magnetic symmetry: |E(k) - E(gk)| in the frozen window reaches "
            f"{report['max_symmetry_band_deviation_eV']:.2e} eV on the grid, "
            f"{report.get('max_symmetry_band_deviation_off_grid_eV', float('nan')):.2e} eV off it (tolerance "
            f"{report['symmetry_tolerance_eV']:.0e} eV; an operation moves a Wannier centre "
            f"{report['max_centre_mismatch_angstrom']:.3f} Å from any centre): a symmetry-forbidden chi will not "
            "cancel. Use projections that keep each function on its atom (dis_num_iter = 0, num_iter = 0)."
        )
    return messages
