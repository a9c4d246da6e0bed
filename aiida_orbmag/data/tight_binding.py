"""``orbmag.tight_binding``: a Wannier tight-binding model stored as one HDF5 file in the node's repository.

The file follows the schema of :mod:`aiida_orbmag.io.hdf5`. What a query needs (size, lattice, whether the position
matrix is present, spinor flag, Fermi level, source file) is copied into attributes; the arrays stay in the file and
are read only by :meth:`TightBindingData.get_model`. Writing streams the model through a temporary file and reading
streams it from the repository, so a model of hundreds of Wannier functions is held in memory once.
"""

from __future__ import annotations

import pathlib
import tempfile

import h5py
import numpy as np
from aiida.orm import Data

from aiida_orbmag.io import hdf5, wannier90
from aiida_orbmag.physics.model import TightBindingModel

__all__ = ("TightBindingData",)


class TightBindingData(Data):
    """A tight-binding model H(R) (eV), optionally r(R) (Å), of Wannier functions, as an HDF5 file.

    Build it with ``TightBindingData(model=...)`` from a :class:`~aiida_orbmag.physics.model.TightBindingModel`,
    :meth:`from_tb_file` from a Wannier90 ``seedname_tb.dat``, or :meth:`from_hdf5_file` from a file of the
    aiida-orbmag schema.
    """

    FILENAME = "model.h5"

    def __init__(self, model: TightBindingModel | None = None, **kwargs):
        super().__init__(**kwargs)
        if model is not None:
            self.set_model(model)

    # ---------------------------------------------------------------------------------------------- constructors
    @classmethod
    def from_tb_file(
        cls, path, *, fermi_energy: float | None = None, spinor: bool | None = None, wsvec=wannier90.AUTO, **kwargs
    ) -> TightBindingData:
        """Read a Wannier90 ``seedname_tb.dat`` (with the position matrix); Fermi level (eV) and spinor flag when
        known, since the file does not record them. ``wsvec``: the MDRS shifts, as in
        :func:`aiida_orbmag.io.wannier90.read_tb_dat` (by default ``seedname_wsvec.dat`` beside the file)."""
        model = wannier90.read_tb_dat(path, wsvec=wsvec)
        changes = {k: v for k, v in (("fermi_energy", fermi_energy), ("spinor", spinor)) if v is not None}
        return cls(model=model.replace(**changes) if changes else model, **kwargs)

    @classmethod
    def from_hdf5_file(cls, path, *, validate: bool = True, **kwargs) -> TightBindingData:
        """Store an HDF5 model file as it is.

        :param validate: load the model once to check it (Hermiticity, finite values, shapes). With False only the
            schema (format tag, version, datasets) is checked, for very large trusted files; an invalid model is
            then refused when it is used (:meth:`get_model` raises ValueError).
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no such file; give the path of an aiida-orbmag HDF5 model file.")
        if validate:
            hdf5.load_model(path)  # reads the metadata in a child process first (hdf5.probe_file)
        else:
            hdf5.probe_file(path)
        node = cls(**kwargs)
        node._store_file(path)
        return node

    # ------------------------------------------------------------------------------------------------- content
    def set_model(self, model: TightBindingModel) -> None:
        """Write ``model`` into the repository (replacing any previous one) and set the attributes."""
        if not isinstance(model, TightBindingModel):
            raise ValueError(f"Expected a TightBindingModel, got {type(model).__name__}.")
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / self.FILENAME
            hdf5.save_model(model, path)
            self._store_file(path)

    def _store_file(self, path: pathlib.Path) -> None:
        attributes = _attributes_of_file(path)
        self.base.repository.put_object_from_file(str(path), self.FILENAME)
        for key, value in attributes.items():
            self.base.attributes.set(key, value)

    def get_model(self) -> TightBindingModel:
        """The physics model, read from the repository (ValueError if the stored file is corrupted or invalid)."""
        try:
            with self.base.repository.open(self.FILENAME, "rb") as stream, h5py.File(stream, "r") as handle:
                return hdf5.read_model_from_group(handle, f"TightBindingData<{self.pk}>")
        except FileNotFoundError:
            raise ValueError(f"TightBindingData<{self.pk}> holds no model file {self.FILENAME!r}.") from None
        except (OSError, KeyError) as error:
            raise ValueError(
                f"The model file of TightBindingData<{self.pk}> cannot be read ({error}); it is corrupted. "
                "Create the node again from the original _tb.dat or HDF5 file."
            ) from None

    # -------------------------------------------------------------------------------------------- attributes
    @property
    def num_wann(self) -> int:
        return self.base.attributes.get("num_wann")

    @property
    def num_r_vectors(self) -> int:
        return self.base.attributes.get("num_r_vectors")

    @property
    def lattice(self) -> np.ndarray:
        """(3, 3) lattice vectors as rows (Å)."""
        return np.array(self.base.attributes.get("lattice"))

    @property
    def has_position_matrix(self) -> bool:
        return self.base.attributes.get("has_position_matrix")

    @property
    def spinor(self) -> bool | None:
        return self.base.attributes.get("spinor")

    @property
    def fermi_energy(self) -> float | None:
        """Fermi level of the DFT calculation (eV), None when unknown."""
        return self.base.attributes.get("fermi_energy")

    @property
    def mdrs_applied(self) -> bool:
        """Whether wannier90's MDRS shifts are folded into the stored model (queryable: ``attributes.mdrs_applied``)."""
        return bool(self.base.attributes.get("mdrs_applied", False))

    @property
    def source_filename(self) -> str:
        return self.base.attributes.get("source_filename")


def _attributes_of_file(path: pathlib.Path) -> dict:
    """The queryable attributes of a schema-conforming HDF5 model file, read without loading the big arrays."""
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it is truncated or corrupted.") from None
    with handle:
        try:
            attributes = hdf5.model_attributes(handle, str(path))
            num_r, num_wann = handle["hamiltonian"].shape[:2]
            lattice = handle["lattice"][()].tolist()
        except (OSError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}: the HDF5 data cannot be read ({error}); the file is corrupted.") from None
        return {
            "num_wann": int(num_wann),
            "num_r_vectors": int(num_r),
            "lattice": lattice,
            "has_position_matrix": "position" in handle,
            "spinor": attributes["spinor"],
            "fermi_energy": attributes["fermi_energy"],
            "source_filename": pathlib.PurePath(attributes["source"]).name,
            "schema_version": attributes["schema_version"],
            "mdrs_applied": attributes["mdrs"],
        }
