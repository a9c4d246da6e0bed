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

A reader refuses files of another format or of a newer schema version with a ValueError.
"""

from __future__ import annotations

import pathlib

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
    group.attrs["format"] = FORMAT
    group.attrs["schema_version"] = SCHEMA_VERSION
    group.attrs["source"] = model.source
    group.attrs["spinor"] = -1 if model.spinor is None else int(model.spinor)
    group.attrs["fermi_energy"] = np.nan if model.fermi_energy is None else float(model.fermi_energy)
    group.attrs["mdrs"] = int(bool(model.mdrs))
    for name in _REQUIRED:
        group.create_dataset(name, data=getattr(model, name))
    if model.position is not None:
        group.create_dataset("position", data=model.position)


def load_model(path) -> TightBindingModel:
    """Read a model written by :func:`save_model`; ValueError for anything that is not such a file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it is truncated or corrupted.") from None
    with handle:
        try:
            return read_model_from_group(handle, str(path))
        except (OSError, KeyError) as error:
            raise ValueError(f"{path}: the HDF5 data cannot be read ({error}); the file is corrupted.") from None


def check_schema(group: h5py.Group, where: str = "HDF5 group") -> None:
    """ValueError unless ``group`` holds a model of this schema: format tag, version, datasets and their shapes."""
    if group.attrs.get("format") != FORMAT:
        raise ValueError(f"{where} is not an aiida-orbmag tight-binding model file (format tag missing or different).")
    version = int(group.attrs.get("schema_version", -1))
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


def read_model_from_group(group: h5py.Group, where: str = "HDF5 group") -> TightBindingModel:
    """Read a model from an open HDF5 group written by :func:`write_model_to_group`."""
    check_schema(group, where)
    spinor = int(group.attrs.get("spinor", -1))
    fermi = float(group.attrs.get("fermi_energy", np.nan))
    return TightBindingModel(
        lattice=group["lattice"][()],
        r_vectors=group["r_vectors"][()],
        degeneracy=group["degeneracy"][()],
        hamiltonian=group["hamiltonian"][()],
        centres=group["centres"][()],
        position=group["position"][()] if "position" in group else None,
        spinor=None if spinor < 0 else bool(spinor),
        fermi_energy=None if np.isnan(fermi) else fermi,
        source=str(group.attrs.get("source", "")),
        mdrs=bool(int(group.attrs.get("mdrs", 0))),
    )
