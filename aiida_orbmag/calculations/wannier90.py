"""``orbmag.wannier90``: a CalcJob for ``wannier90.x`` (3.x), with the ports and exit codes of aiida-wannier90.

The plugin writes ``aiida.win`` itself: the unit cell and atoms (from ``structure``, Å), the projections, the
uniform k-point list and ``mp_grid`` (from ``kpoints``), the band path (from ``kpoint_path``) and ``write_tb``
(always on, so that every full run yields the tight-binding model with its position matrix). Those keys are refused
in ``parameters``. The overlap files (``aiida.amn``, ``aiida.mmn``, ``aiida.eig``, ...) come from exactly one of
``local_input_folder`` (copied) or ``remote_input_folder`` (symlinked); ``settings.postproc_setup`` runs
``wannier90.x -pp`` instead, which needs neither and returns ``nnkp_file``.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
from aiida import orm
from aiida.common import datastructures
from aiida.engine import CalcJob

from aiida_orbmag.data import TightBindingData

SEEDNAME = "aiida"
INPUT_FILE = f"{SEEDNAME}.win"
OUTPUT_FILE = f"{SEEDNAME}.wout"

#: Keys the plugin writes itself (lowercase, as wannier90 reads keys case-insensitively).
BLOCKED_KEYS = {
    "unit_cell_cart": "the unit cell is written from the `structure` input",
    "atoms_cart": "the atoms are written from the `structure` input",
    "atoms_frac": "the atoms are written from the `structure` input",
    "length_unit": "lengths are always written in Angstrom",
    "projections": "projections are given through the `projections` input",
    "spinor_projections": "projections are given through the `projections` input",
    "kpoints": "k-points are given through the `kpoints` input",
    "mp_grid": "mp_grid follows from the `kpoints` input",
    "kpoint_path": "the band path is given through the `kpoint_path` input",
    "bands_plot": "bands_plot is switched on when `kpoint_path` is given",
    "write_tb": "write_tb is always switched on by the plugin",
    "postproc_setup": "post-processing setup is requested with settings['postproc_setup']",
}
KNOWN_SETTINGS = {
    "postproc_setup",
    "additional_retrieve_list",
    "additional_remote_symlink_list",
    "additional_remote_copy_list",
}
#: Files taken from the input folder: required ones must be there for a full (non -pp) run.
REQUIRED_INPUT_FILES = (f"{SEEDNAME}.mmn", f"{SEEDNAME}.eig")
OPTIONAL_INPUT_FILES = (f"{SEEDNAME}.amn", f"{SEEDNAME}.chk", f"{SEEDNAME}.spn", f"{SEEDNAME}.uHu")


def _unsafe_text(value) -> str | None:
    """The first string inside ``value`` (nested lists included) that holds a newline or another control character,
    which would start a new line of aiida.win behind the plugin's back; None when all is printable."""
    if isinstance(value, str):
        return None if value.isprintable() else value
    if isinstance(value, list | tuple):
        return next((bad for bad in map(_unsafe_text, value) if bad is not None), None)
    return None


def _escapes_folder(path) -> bool:
    """Whether a relative path (or glob pattern) leaves the job folder: absolute, or with a '..' component."""
    text = str(path)
    return text.startswith(("/", "~")) or ".." in pathlib.PurePosixPath(text).parts or not text.isprintable()


def validate_parameters(node, _):
    content = node.get_dict()
    for key, value in content.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            return f"The parameter name {key!r} is not a wannier90 keyword (letters, digits and underscores)."
        bad = _unsafe_text(value)
        if bad is not None:
            return f"The value of {key!r} holds a newline or control character ({bad!r}); give one line of text."
    keys = [key.lower() for key in content]
    if len(set(keys)) != len(keys):
        return "The parameters contain the same key twice (wannier90 keys are case-insensitive)."
    blocked = [f"`{key}` ({BLOCKED_KEYS[key]})" for key in keys if key in BLOCKED_KEYS]
    if blocked:
        return "These parameters are set by the plugin and cannot be given: " + "; ".join(blocked) + "."
    if "num_wann" not in keys:
        return "The parameters must give num_wann, the number of Wannier functions."
    fermi = {key.lower(): value for key, value in content.items()}.get("fermi_energy")
    if fermi is not None and (isinstance(fermi, bool) or not isinstance(fermi, int | float) or not np.isfinite(fermi)):
        return f"fermi_energy must be a finite number (eV), got {fermi!r}."
    return None


def validate_settings(node, _):
    settings = node.get_dict()
    unknown = sorted(set(settings) - KNOWN_SETTINGS)
    if unknown:
        return f"Unknown settings {unknown}; the known ones are {sorted(KNOWN_SETTINGS)}."
    for pattern in settings.get("additional_retrieve_list", []):
        if not isinstance(pattern, str) or _escapes_folder(pattern):
            return (
                f"additional_retrieve_list entry {pattern!r} must be a relative path or pattern inside the job folder "
                "(no '..', not absolute)."
            )
    for key in ("additional_remote_symlink_list", "additional_remote_copy_list"):
        for entry in settings.get(key, []):
            if not (isinstance(entry, list | tuple) and len(entry) == 3 and all(isinstance(e, str) for e in entry)):
                return f"{key} entries must be [computer_uuid, source_path, destination], got {entry!r}."
            if _escapes_folder(entry[2]) or not entry[1].isprintable():
                return f"{key} destination {entry[2]!r} must be a relative path inside the job folder (no '..')."
    return None


def validate_kpoint_path(node, _):
    content = node.get_dict()
    path, coords = content.get("path"), content.get("point_coords")
    if not isinstance(path, list) or not isinstance(coords, dict) or not path:
        return (
            "kpoint_path must be a Dict with 'path' (list of [label1, label2]) and 'point_coords' (label -> 3 floats)."
        )
    if any(not re.fullmatch(r"[A-Za-z0-9_'\\-]{1,16}", str(label)) for label in coords):
        return "kpoint_path labels must be short words without spaces or control characters (e.g. G, K, M1)."
    for segment in path:
        if len(segment) != 2 or any(label not in coords for label in segment):
            return f"The kpoint_path segment {segment} must name two labels defined in point_coords."
    return None


def validate_projections(node, _):
    lines = node.get_list()
    bad = next((line for line in lines if not isinstance(line, str) or not line.isprintable()), None)
    if bad is not None or not lines:
        return f"projections must be a non-empty list of one-line strings such as 'Cr:d'; got {bad!r}."
    return None


def validate_kpoints(node, _):
    try:
        mp_grid_of(uniform_kpoint_list(node))
    except ValueError as error:
        return str(error)
    return None


def validate_inputs(inputs, _):
    settings = inputs["settings"].get_dict() if "settings" in inputs else {}
    folders = [name for name in ("local_input_folder", "remote_input_folder") if name in inputs]
    postproc = bool(settings.get("postproc_setup", False))
    if not postproc and len(folders) != 1:
        return (
            "Give exactly one of local_input_folder or remote_input_folder (the folder with aiida.amn, aiida.mmn and "
            f"aiida.eig), got {folders or 'none'}; only settings['postproc_setup'] runs without one."
        )
    if postproc and len(folders) > 1:
        return "Give at most one of local_input_folder or remote_input_folder."
    parameters = {key.lower(): value for key, value in inputs["parameters"].get_dict().items()}
    if "projections" not in inputs and not any(parameters.get(key) for key in ("auto_projections", "use_bloch_phases")):
        return "Give the projections input, or set auto_projections or use_bloch_phases in the parameters."
    if not postproc and "local_input_folder" in inputs:
        present = set(inputs["local_input_folder"].base.repository.list_object_names())
        missing = [name for name in REQUIRED_INPUT_FILES if name not in present]
        if "projections" in inputs and f"{SEEDNAME}.amn" not in present:
            missing.append(f"{SEEDNAME}.amn")
        if missing:
            return f"local_input_folder lacks {missing}; run pw2wannier90 with seedname '{SEEDNAME}' first."
    return None


class Wannier90Calculation(CalcJob):
    """Wannier90 (``wannier90.x``): maximally localised Wannier functions and the tight-binding model."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input("structure", valid_type=orm.StructureData, help="The crystal structure (cell and atoms, Å).")
        spec.input(
            "parameters",
            valid_type=orm.Dict,
            validator=validate_parameters,
            help="wannier90 keywords (num_wann, num_bands, dis_* windows in eV, num_iter, spinors, ...).",
        )
        spec.input(
            "kpoints",
            valid_type=orm.KpointsData,
            validator=validate_kpoints,
            help="The uniform k-point grid: the explicit list of the NSCF (its order is kept), or a mesh.",
        )
        spec.input(
            "kpoint_path",
            valid_type=orm.Dict,
            required=False,
            validator=validate_kpoint_path,
            help="Band path for interpolated bands: {'path': [[l1, l2], ...], 'point_coords': {label: fractional}}.",
        )
        spec.input(
            "projections",
            valid_type=orm.List,
            required=False,
            validator=validate_projections,
            help="Projection lines of the wannier90 projections block, e.g. ['Cr:d', 'I:p'].",
        )
        spec.input(
            "settings",
            valid_type=orm.Dict,
            required=False,
            validator=validate_settings,
            help="postproc_setup (bool: run -pp), additional_retrieve_list, additional_remote_symlink_list, "
            "additional_remote_copy_list.",
        )
        spec.input(
            "local_input_folder",
            valid_type=orm.FolderData,
            required=False,
            help="Folder with aiida.amn, aiida.mmn, aiida.eig (copied).",
        )
        spec.input(
            "remote_input_folder",
            valid_type=orm.RemoteData,
            required=False,
            help="Remote folder with aiida.amn, aiida.mmn, aiida.eig (symlinked), e.g. a pw2wannier90 run's.",
        )
        spec.inputs.validator = validate_inputs
        spec.inputs["metadata"]["options"]["parser_name"].default = "orbmag.wannier90"
        spec.inputs["metadata"]["options"]["input_filename"].default = INPUT_FILE
        spec.inputs["metadata"]["options"]["output_filename"].default = OUTPUT_FILE
        spec.inputs["metadata"]["options"]["resources"].default = {"num_machines": 1, "num_mpiprocs_per_machine": 1}
        spec.inputs["metadata"]["options"]["withmpi"].default = False

        spec.output("nnkp_file", valid_type=orm.SinglefileData, required=False, help="aiida.nnkp of a -pp run.")
        spec.output(
            "output_parameters",
            valid_type=orm.Dict,
            required=False,
            help="Spreads (Å²), centres (Å), Omega_I/D/OD/total (Å²), convergence and warnings.",
        )
        spec.output(
            "tight_binding",
            valid_type=TightBindingData,
            required=False,
            help="The tight-binding model (TightBindingData) parsed from aiida_tb.dat, with the MDRS shifts of "
            "aiida_wsvec.dat applied (as wannier90 interpolates).",
        )
        spec.output(
            "interpolated_bands", valid_type=orm.BandsData, required=False, help="Wannier-interpolated bands (eV)."
        )
        spec.default_output_node = "output_parameters"

        spec.exit_code(210, "ERROR_OUTPUT_STDOUT_MISSING", message="The output file aiida.wout was not retrieved.")
        spec.exit_code(211, "ERROR_NNKP_FILE_MISSING", message="The -pp run finished but aiida.nnkp was not retrieved.")
        spec.exit_code(
            350,
            "ERROR_OUTPUT_FILES_INVALID",
            message="The retrieved files cannot be parsed (corrupted or from another program): {error}",
        )
        spec.exit_code(
            300,
            "ERROR_WERR_FILE_PRESENT",
            message="wannier90 wrote an error file (.werr): {error}",
        )
        spec.exit_code(
            400,
            "ERROR_EXITING_MESSAGE_IN_STDOUT",
            message="wannier90 stopped with an error message in aiida.wout: {error}",
        )
        spec.exit_code(
            401,
            "ERROR_BVECTORS",
            message="wannier90 could not find b-vectors satisfying the completeness relation B1; raise kmesh_tol or "
            "search_shells, or give the cell to higher precision.",
        )
        spec.exit_code(
            402,
            "ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES",
            message="The outer disentanglement window contains fewer states than num_wann at some k-point; widen "
            "dis_win_min/dis_win_max or compute more bands.",
        )
        spec.exit_code(
            404,
            "ERROR_OUTPUT_STDOUT_INCOMPLETE",
            message="aiida.wout is incomplete: wannier90 was interrupted (wall time, memory, or a crash).",
        )
        spec.exit_code(
            405,
            "ERROR_TIGHT_BINDING_FILE_MISSING",
            message="The run finished but aiida_tb.dat was not retrieved, so no tight-binding model can be built.",
        )
        spec.exit_code(
            406,
            "ERROR_TIGHT_BINDING_FILE_INVALID",
            message="aiida_tb.dat cannot be read as a tight-binding model: {error}",
        )
        spec.exit_code(
            407,
            "ERROR_DISENTANGLEMENT_NOT_CONVERGED",
            message="The disentanglement did not converge within dis_num_iter iterations; raise dis_num_iter.",
        )
        spec.exit_code(
            408,
            "ERROR_WANNIERISATION_NOT_CONVERGED",
            message="The spread minimisation did not meet its convergence criterion (conv_window) within num_iter "
            "iterations; raise num_iter.",
        )
        spec.exit_code(
            409,
            "ERROR_WSVEC_FILE_MISSING",
            message="The run finished but aiida_wsvec.dat was not retrieved, so the model cannot be interpolated as "
            "wannier90 does (MDRS shifts); wannier90.x 3.x writes it with write_tb.",
        )
        spec.exit_code(
            410,
            "ERROR_WSVEC_FILE_INVALID",
            message="aiida_wsvec.dat cannot be applied to the tight-binding model: {error}",
        )
        spec.exit_code(
            411,
            "ERROR_BAND_FILES_INVALID",
            message="The interpolated band files cannot be used: {error}.",
        )

    def prepare_for_submission(self, folder):
        settings = self.inputs.settings.get_dict() if "settings" in self.inputs else {}
        postproc = bool(settings.get("postproc_setup", False))
        with folder.open(INPUT_FILE, "w") as handle:
            handle.write(self._win_text())

        calcinfo = datastructures.CalcInfo()
        calcinfo.local_copy_list = []
        calcinfo.remote_symlink_list = []
        calcinfo.remote_copy_list = []
        if "local_input_folder" in self.inputs and not postproc:
            local = self.inputs.local_input_folder
            for name in local.base.repository.list_object_names():
                if name in REQUIRED_INPUT_FILES + OPTIONAL_INPUT_FILES or name.startswith("UNK"):
                    calcinfo.local_copy_list.append((local.uuid, name, name))
        if "remote_input_folder" in self.inputs and not postproc:
            remote = self.inputs.remote_input_folder
            computer = remote.computer.uuid
            for name in REQUIRED_INPUT_FILES + OPTIONAL_INPUT_FILES:
                calcinfo.remote_symlink_list.append((computer, f"{remote.get_remote_path()}/{name}", name))
        for source in settings.get("additional_remote_symlink_list", []):
            calcinfo.remote_symlink_list.append(tuple(source))
        for source in settings.get("additional_remote_copy_list", []):
            calcinfo.remote_copy_list.append(tuple(source))

        codeinfo = datastructures.CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = ["-pp", SEEDNAME] if postproc else [SEEDNAME]
        calcinfo.codes_info = [codeinfo]
        retrieve = [OUTPUT_FILE, "*.werr"]
        if postproc:
            retrieve.append(f"{SEEDNAME}.nnkp")
        else:
            retrieve += [f"{SEEDNAME}_tb.dat", f"{SEEDNAME}_wsvec.dat", f"{SEEDNAME}_band.dat", f"{SEEDNAME}_band.kpt"]
            retrieve += [f"{SEEDNAME}_band.labelinfo.dat", f"{SEEDNAME}_centres.xyz"]
        calcinfo.retrieve_list = retrieve + list(settings.get("additional_retrieve_list", []))
        return calcinfo

    # ------------------------------------------------------------------------------------------- aiida.win
    def _win_text(self) -> str:
        lines = [f"! written by aiida-orbmag for {self.uuid}"]
        for key, value in sorted(self.inputs.parameters.get_dict().items()):
            lines.append(f"{key.lower()} = {win_value(value)}")
        lines.append("write_tb = .true.")
        if "kpoint_path" in self.inputs:
            lines.append("bands_plot = .true.")
        lines += self._structure_blocks()
        if "projections" in self.inputs:
            lines += ["", "begin projections", *self.inputs.projections.get_list(), "end projections"]
        lines += self._kpoint_blocks()
        return "\n".join(lines) + "\n"

    def _structure_blocks(self) -> list[str]:
        structure = self.inputs.structure
        lines = ["", "begin unit_cell_cart", "ang"]
        lines += ["{:18.10f} {:18.10f} {:18.10f}".format(*vector) for vector in structure.cell]
        lines += ["end unit_cell_cart", "", "begin atoms_cart", "ang"]
        lines += ["{} {:18.10f} {:18.10f} {:18.10f}".format(site.kind_name, *site.position) for site in structure.sites]
        return [*lines, "end atoms_cart"]

    def _kpoint_blocks(self) -> list[str]:
        kpoints = uniform_kpoint_list(self.inputs.kpoints)
        mesh = mp_grid_of(kpoints)
        lines = ["", "mp_grid = {} {} {}".format(*mesh), "", "begin kpoints"]
        lines += ["{:18.12f} {:18.12f} {:18.12f}".format(*k) for k in kpoints]
        lines.append("end kpoints")
        if "kpoint_path" in self.inputs:
            path = self.inputs.kpoint_path.get_dict()
            coords = path["point_coords"]
            lines += ["", "begin kpoint_path"]
            for start, stop in path["path"]:
                lines.append(
                    "{} {:.10f} {:.10f} {:.10f}  {} {:.10f} {:.10f} {:.10f}".format(
                        start, *coords[start], stop, *coords[stop]
                    )
                )
            lines.append("end kpoint_path")
        return lines


def win_value(value) -> str:
    """A Python value as wannier90 reads it: booleans as .true./.false., lists space-separated."""
    if isinstance(value, bool):
        return ".true." if value else ".false."
    if isinstance(value, list | tuple):
        return " ".join(win_value(item) for item in value)
    return str(value)


def uniform_kpoint_list(kpoints: orm.KpointsData) -> np.ndarray:
    """(nk, 3) fractional k-points of a KpointsData given as a mesh or as an explicit list (order kept)."""
    try:
        mesh, offset = kpoints.get_kpoints_mesh()
    except AttributeError:
        return np.asarray(kpoints.get_kpoints(), dtype=float)
    if any(o != 0 for o in offset):
        raise ValueError("wannier90 needs a Gamma-centred uniform grid; the kpoints mesh has an offset.")
    axes = [np.arange(n) / n for n in mesh]
    return np.array(np.meshgrid(*axes, indexing="ij")).reshape(3, -1).T


def mp_grid_of(kpoints: np.ndarray) -> tuple[int, int, int]:
    """The Monkhorst-Pack dimensions of a complete Gamma-centred uniform list; ValueError for anything else."""
    kpoints = np.asarray(kpoints, dtype=float)
    if kpoints.ndim != 2 or kpoints.shape[1] != 3 or len(kpoints) == 0:
        raise ValueError("The kpoints must be a non-empty list of fractional (k1, k2, k3) triples.")
    reduced = np.round(np.mod(kpoints, 1.0), 8) % 1.0
    mesh = tuple(len(np.unique(reduced[:, axis])) for axis in range(3))
    on_grid = np.allclose(np.round(reduced * mesh) / mesh, reduced, atol=1e-6)
    distinct = len(np.unique(np.round(reduced * mesh).astype(int), axis=0)) == len(kpoints)
    if int(np.prod(mesh)) != len(kpoints) or not on_grid or not distinct:
        raise ValueError(
            f"The kpoints are not a complete Gamma-centred uniform grid ({len(kpoints)} points, {mesh} distinct "
            "coordinates per axis); give the full (no-symmetry) NSCF grid, in the NSCF order."
        )
    return mesh
