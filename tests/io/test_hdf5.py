"""The HDF5 model file: exact round trip, and a clear error for anything else."""

import h5py
import numpy as np
import pytest

from aiida_orbmag.io.hdf5 import load_model, save_model
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model

FIELDS = ("lattice", "r_vectors", "degeneracy", "hamiltonian", "centres", "position")


@pytest.mark.parametrize(
    "model",
    [
        cri3_like_bilayer(),
        random_model(8, seed=5).replace(fermi_energy=1.25, spinor=False),
        random_model(4, seed=6).replace(position=None, spinor=True),
    ],
    ids=["cri3_like", "with_fermi", "no_position"],
)
def test_round_trip_is_exact(model, tmp_path):
    save_model(model, tmp_path / "model.h5")
    back = load_model(tmp_path / "model.h5")
    for name in FIELDS:
        a, b = getattr(model, name), getattr(back, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    assert (back.spinor, back.fermi_energy, back.source) == (model.spinor, model.fermi_energy, model.source)


def test_truncated_file(tmp_path):
    path = tmp_path / "model.h5"
    save_model(random_model(8), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupted|corrupted"):
        load_model(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        load_model(path)


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle["data"] = np.arange(3)
    with pytest.raises(ValueError, match="not an aiida-orbmag tight-binding model"):
        load_model(path)


def test_newer_schema_and_missing_dataset(tmp_path):
    path = tmp_path / "model.h5"
    save_model(cri3_like_bilayer(), path)
    with h5py.File(path, "a") as handle:
        handle.attrs["schema_version"] = 99
    with pytest.raises(ValueError, match="schema version 99"):
        load_model(path)
    save_model(cri3_like_bilayer(), path)
    with h5py.File(path, "a") as handle:
        del handle["hamiltonian"]
    with pytest.raises(ValueError, match="lacks the datasets"):
        load_model(path)


def test_mdrs_flag_round_trips_and_version_1_files_still_load(tmp_path):
    """Schema 2 stores whether the MDRS shifts are folded in; a schema-1 file (no such attribute) loads as a plain
    Wigner-Seitz model."""
    model = cri3_like_bilayer().replace(mdrs=True)
    save_model(model, tmp_path / "model.h5")
    assert load_model(tmp_path / "model.h5").mdrs
    with h5py.File(tmp_path / "model.h5", "r+") as handle:
        assert handle.attrs["schema_version"] == 2
        handle.attrs["schema_version"] = 1
        del handle.attrs["mdrs"]
    old = load_model(tmp_path / "model.h5")
    assert not old.mdrs
    assert np.array_equal(old.hamiltonian, model.hamiltonian)
