"""The inputs of ``wannier90.x`` as ``orbmag.wannier90`` writes them: file names, the keys the plugin sets itself,
the port validators (run at submission), the uniform k-grid and wannier90's value syntax."""

from __future__ import annotations

import pathlib
import re

import numpy as np
from aiida import orm

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
