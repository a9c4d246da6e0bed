"""The tight-binding model as an HDF5 file (h5py): a documented, versioned schema.

Schema version 2
================

Root attributes

| attribute        | type   | content                                                        |
|------------------|--------|----------------------------------------------------------------|
| `format`         | str    | always ``"aiida-orbmag tight-binding model"``                  |
| `schema_version` | int    | 2 (files of version 1 still load: they lack ``mdrs``)          |
| `source`         | str    | where the model came from (file name or builder)               |
| `spinor`         | int    | 1 spinor Wannier functions, 0 not, -1 unknown                  |
| `fermi_energy`   | float  | Fermi level of the DFT calculation (eV); NaN when unknown      |
| `mdrs`           | int    | 1: wannier90's MDRS shifts folded into R and the matrices (all |
|                  |        | degeneracies 1), 0: plain Wigner-Seitz model; absent in v1 = 0 |

Datasets

| dataset       | shape              | dtype      | unit | content                                   |
|---------------|--------------------|------------|------|-------------------------------------------|
| `lattice`     | (3, 3)             | float64    | Å    | lattice vectors a1, a2, a3 as rows        |
| `r_vectors`   | (nR, 3)            | int64      |      | R in units of a1, a2, a3                  |
| `degeneracy`  | (nR,)              | int64      |      | Wigner-Seitz degeneracy of each R         |
| `hamiltonian` | (nR, nw, nw)       | complex128 | eV   | <0 m|H|R n>, not divided by degeneracy    |
| `centres`     | (nw, 3)            | float64    | Å    | Wannier centres, Cartesian                |
| `position`    | (nR, nw, nw, 3)    | complex128 | Å    | <0 m|r|R n>; absent when unknown          |

A reader refuses files of another format or of a newer schema version with a ValueError, and so it does for anything
that is not plain data inside the file itself: a group or a link where a dataset belongs, HDF5 external storage,
external or soft links and virtual datasets (a stored model must depend on nothing outside its own bytes), compound
or string dtypes, shapes whose declared size the file cannot hold, and attributes of the wrong kind.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import h5py
import numpy as np

from aiida_orbmag.physics.model import TightBindingModel

FORMAT = "aiida-orbmag tight-binding model"
SCHEMA_VERSION = 2
_REQUIRED = ("lattice", "r_vectors", "degeneracy", "hamiltonian", "centres")


def save_model(model: TightBindingModel, path) -> None:
    """Write ``model`` to the HDF5 file ``path`` (schema version :data:`SCHEMA_VERSION`)."""
    with h5py.File(path, "w") as handle:
        write_model_to_group(model, handle)


def write_model_to_group(model: TightBindingModel, group: h5py.Group) -> None:
    """Write ``model`` into an open HDF5 group (for callers that own the file handle)."""
    # fixed-length strings: no variable-length data in HDF5's global heap, where corruption can hang the reader
    group.attrs["format"] = np.bytes_(FORMAT)
    group.attrs["schema_version"] = SCHEMA_VERSION
    group.attrs["source"] = np.bytes_(model.source.encode("utf-8"))
    group.attrs["spinor"] = -1 if model.spinor is None else int(model.spinor)
    group.attrs["fermi_energy"] = np.nan if model.fermi_energy is None else float(model.fermi_energy)
    group.attrs["mdrs"] = int(bool(model.mdrs))
    for name in _REQUIRED:
        group.create_dataset(name, data=getattr(model, name))
    if model.position is not None:
        group.create_dataset("position", data=model.position)


#: Seconds the metadata of a file given from outside may take to read in a child process (:func:`probe_file`).
PROBE_TIMEOUT_S = 60


def probe_file(path, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Read the file's metadata (schema, attributes, dataset headers) in a child process first; ValueError when that
    fails, does not finish within ``timeout`` seconds, or crashes the child.

    A corrupted HDF5 file can make the HDF5 C library loop forever (measured: a damaged global heap under a
    variable-length string attribute) or crash the interpreter, which no exception handler catches; a child process
    bounds both, at the cost of a Python start (about half a second) per file given from outside.
    """
    code = (
        "import sys, h5py\n"
        "from aiida_orbmag.io.hdf5 import model_attributes\n"
        "path = sys.argv[1]\n"
        "try:\n"
        "    handle = h5py.File(path, 'r')\n"
        "except OSError as error:\n"
        "    print(f'{path} is not a readable HDF5 file ({error}); it is truncated or corrupted.'); sys.exit(3)\n"
        "try:\n"
        "    with handle:\n"
        "        model_attributes(handle, path)\n"
        "except (ValueError, OSError, KeyError, TypeError, AttributeError) as error:\n"
        "    print(' '.join(str(error).split())); sys.exit(3)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise ValueError(
            f"{path}: reading its HDF5 metadata did not finish in {timeout:g} s (the HDF5 library loops on corrupted "
            "data); the file is corrupted."
        ) from None
    if done.returncode == 3:
        raise ValueError(done.stdout.strip() or f"{path}: the file is not a valid model file.")
    if done.returncode != 0:
        raise ValueError(f"{path}: the HDF5 library failed reading it (exit {done.returncode}); the file is corrupted.")


def load_model(path, probe: bool = True) -> TightBindingModel:
    """Read a model written by :func:`save_model`; ValueError for anything that is not such a file.

    :param probe: first read the metadata in a child process (:func:`probe_file`), so that a corrupted file cannot
        hang or crash this one; False for files this package wrote itself.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    if probe:
        probe_file(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it is truncated or corrupted.") from None
    with handle:
        try:
            return read_model_from_group(handle, str(path))
        except (OSError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}: the HDF5 data cannot be read ({error}); the file is corrupted.") from None


def check_schema(group: h5py.Group, where: str = "HDF5 group") -> None:
    """ValueError unless ``group`` holds a model of this schema: format tag, version, datasets and their shapes, and
    nothing outside the file (:func:`_plain_dataset`)."""
    if _string_attribute(group, "format") != FORMAT:
        raise ValueError(f"{where} is not an aiida-orbmag tight-binding model file (format tag missing or different).")
    version = _integer_attribute(group, "schema_version", where, default=-1)
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"{where} uses schema version {version}, newer than this aiida-orbmag understands ({SCHEMA_VERSION}); "
            "upgrade aiida-orbmag."
        )
    if version < 1:
        raise ValueError(f"{where} has an invalid schema version {version}.")
    missing = [name for name in _REQUIRED if name not in group]
    if missing:
        raise ValueError(f"{where} lacks the datasets {missing}; the file is incomplete.")
    for name in (*_REQUIRED, "position"):
        if name in group or group.get(name, getlink=True) is not None:
            _plain_dataset(group, name, where)
    shape = group["hamiltonian"].shape
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"{where}: the hamiltonian dataset has shape {shape}, expected (nR, nw, nw).")
    num_r, num_wann = shape[:2]
    expected = {"lattice": (3, 3), "r_vectors": (num_r, 3), "degeneracy": (num_r,), "centres": (num_wann, 3)}
    if "position" in group:
        expected["position"] = (num_r, num_wann, num_wann, 3)
    for name, want in expected.items():
        if group[name].shape != want:
            raise ValueError(f"{where}: the {name} dataset has shape {group[name].shape}, expected {want}.")


#: Largest model a file may declare (bytes of all its arrays): far above any Wannier model, far below a crash.
MAX_MODEL_BYTES = 64 * 2**30
_NUMERIC_KINDS = {"lattice": "f", "centres": "f", "r_vectors": "iuf", "degeneracy": "iuf", "hamiltonian": "fc",
                  "position": "fc"}  # fmt: skip


def _plain_dataset(group: h5py.Group, name: str, where: str) -> h5py.Dataset:
    """``group[name]`` if it is an ordinary numeric dataset stored in this file; ValueError otherwise."""
    link = group.get(name, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"{where}: {name!r} is a {type(link).__name__}, not data stored in the file; refused.")
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(
            f"{where}: {name!r} is a {type(dataset).__name__} where a dataset belongs; the file is corrupted."
        )
    if dataset.is_virtual or dataset.external:
        raise ValueError(f"{where}: {name!r} refers to data outside the file (virtual or external storage); refused.")
    if dataset.dtype.kind not in _NUMERIC_KINDS[name] or dataset.dtype.fields is not None:
        raise ValueError(
            f"{where}: {name!r} has dtype {dataset.dtype}, not a plain numeric array; the file is corrupted."
        )
    declared = int(np.prod(dataset.shape, dtype=np.float64) * dataset.dtype.itemsize)
    stored = dataset.id.get_storage_size()
    if declared > MAX_MODEL_BYTES or (not dataset.compression and declared > 0 and stored < declared):
        raise ValueError(
            f"{where}: {name!r} declares {declared / 2**20:.3g} MiB but the file stores {stored / 2**20:.3g} MiB "
            "of it; the file is truncated or corrupted."
        )
    return dataset


def _string_attribute(group: h5py.Group, name: str) -> str | None:
    value = group.attrs.get(name)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def _integer_attribute(group: h5py.Group, name: str, where: str, default: int) -> int:
    value = group.attrs.get(name, default)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"{where}: the attribute {name!r} must be an integer, got {value!r}; the file is corrupted.")
    return int(value)


def _float_attribute(group: h5py.Group, name: str, where: str) -> float | None:
    """A float attribute; NaN or absent means unknown (None); infinite or non-numeric is an error."""
    value = group.attrs.get(name, np.nan)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{where}: the attribute {name!r} must be a number, got {value!r}; the file is corrupted.")
    if np.isnan(value):
        return None
    if not np.isfinite(value):
        raise ValueError(f"{where}: the attribute {name!r} is infinite; the file is corrupted.")
    return float(value)


def model_attributes(group: h5py.Group, where: str = "HDF5 group") -> dict:
    """The scalar metadata of a model group (checked): schema version, source, spinor (None when unknown), Fermi
    energy (eV, None when unknown), whether MDRS is folded in."""
    check_schema(group, where)
    spinor = _integer_attribute(group, "spinor", where, default=-1)
    return {
        "schema_version": _integer_attribute(group, "schema_version", where, default=-1),
        "source": _string_attribute(group, "source") or "",
        "spinor": None if spinor < 0 else bool(spinor),
        "fermi_energy": _float_attribute(group, "fermi_energy", where),
        "mdrs": bool(_integer_attribute(group, "mdrs", where, default=0)),
    }


def read_model_from_group(group: h5py.Group, where: str = "HDF5 group") -> TightBindingModel:
    """Read a model from an open HDF5 group written by :func:`write_model_to_group`."""
    attributes = model_attributes(group, where)
    return TightBindingModel(
        lattice=group["lattice"][()],
        r_vectors=group["r_vectors"][()],
        degeneracy=group["degeneracy"][()],
        hamiltonian=group["hamiltonian"][()],
        centres=group["centres"][()],
        position=group["position"][()] if "position" in group else None,
        spinor=attributes["spinor"],
        fermi_energy=attributes["fermi_energy"],
        source=attributes["source"],
        mdrs=attributes["mdrs"],
    )
