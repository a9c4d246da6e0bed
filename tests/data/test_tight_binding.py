"""TightBindingData: the model as one HDF5 file in the repository, exact round trips and clear errors."""

import pathlib
import tracemalloc

import h5py
import numpy as np
import pytest
from aiida import orm

from aiida_orbmag.data import TightBindingData
from aiida_orbmag.io.hdf5 import save_model
from aiida_orbmag.io.wannier90 import read_tb_dat
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model

EXAMPLE_TB = pathlib.Path(__file__).parents[2] / "examples" / "cri3_like_bilayer_tb.dat"
FIELDS = ("lattice", "r_vectors", "degeneracy", "hamiltonian", "centres", "position")


def assert_same_model(a, b):
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None and y is None) or np.array_equal(x, y), name
    assert (a.spinor, a.fermi_energy) == (b.spinor, b.fermi_energy)


def test_from_tb_file_round_trip_and_attributes(aiida_profile_clean):
    node = TightBindingData.from_tb_file(EXAMPLE_TB, fermi_energy=-0.1, spinor=True).store()
    loaded = orm.load_node(node.pk)
    expected = read_tb_dat(EXAMPLE_TB).replace(fermi_energy=-0.1, spinor=True)
    assert_same_model(loaded.get_model(), expected)
    assert loaded.num_wann == 4
    assert loaded.num_r_vectors == expected.num_r
    assert loaded.has_position_matrix is True
    assert loaded.spinor is True
    assert loaded.fermi_energy == -0.1
    assert loaded.source_filename == "cri3_like_bilayer_tb.dat"
    np.testing.assert_array_equal(loaded.lattice, expected.lattice)
    assert loaded.base.repository.list_object_names() == [TightBindingData.FILENAME]


def test_from_model_and_queries(aiida_profile_clean):
    small = TightBindingData(model=random_model(4, seed=1).replace(position=None)).store()
    large = TightBindingData(model=random_model(12, seed=2)).store()
    assert small.spinor is None and small.fermi_energy is None and small.has_position_matrix is False

    query = orm.QueryBuilder().append(TightBindingData, filters={"attributes.num_wann": {">": 8}}, project="id")
    assert query.all(flat=True) == [large.pk]
    query = orm.QueryBuilder().append(
        TightBindingData, filters={"attributes.has_position_matrix": True}, project="attributes.num_wann"
    )
    assert query.all(flat=True) == [12]


def test_from_hdf5_file(aiida_profile_clean, tmp_path):
    model = cri3_like_bilayer()
    save_model(model, tmp_path / "model.h5")
    node = TightBindingData.from_hdf5_file(tmp_path / "model.h5").store()
    assert_same_model(orm.load_node(node.pk).get_model(), model)


def _corrupt(path: pathlib.Path, how: str) -> None:
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:500])
    elif how == "nan":
        with h5py.File(path, "r+") as handle:
            handle["hamiltonian"][0, 0, 0] = np.nan
    elif how == "not_hermitian":
        with h5py.File(path, "r+") as handle:
            onsite = int(np.flatnonzero(~handle["r_vectors"][()].any(axis=1))[0])
            handle["hamiltonian"][onsite, 0, 1] = handle["hamiltonian"][onsite, 0, 1] + 0.5


@pytest.mark.parametrize(
    ("how", "message"),
    [("truncated", "not a readable HDF5 file"), ("nan", "NaN or infinite"), ("not_hermitian", "not Hermitian")],
)
def test_invalid_files_are_refused(aiida_profile_clean, tmp_path, how, message):
    path = tmp_path / "model.h5"
    save_model(cri3_like_bilayer(), path)
    _corrupt(path, how)
    with pytest.raises(ValueError, match=message):
        TightBindingData.from_hdf5_file(path)
    assert orm.QueryBuilder().append(TightBindingData).count() == 0


@pytest.mark.parametrize(("how", "message"), [("nan", "NaN or infinite"), ("not_hermitian", "not Hermitian")])
def test_unvalidated_files_are_refused_when_used(aiida_profile_clean, tmp_path, how, message):
    """validate=False stores a schema-conforming file as it is; the bad model is refused by get_model."""
    path = tmp_path / "model.h5"
    save_model(cri3_like_bilayer(), path)
    _corrupt(path, how)
    node = TightBindingData.from_hdf5_file(path, validate=False).store()
    assert node.num_wann == 4  # the attributes are read from the schema alone
    with pytest.raises(ValueError, match=message):
        node.get_model()


def test_other_bad_inputs(aiida_profile_clean, tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        TightBindingData.from_hdf5_file(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="Expected a TightBindingModel"):
        TightBindingData(model={"hamiltonian": 1})
    (tmp_path / "bad_tb.dat").write_text("written by hand\n4\n")
    with pytest.raises(ValueError):
        TightBindingData.from_tb_file(tmp_path / "bad_tb.dat")
    with pytest.raises(ValueError, match="holds no model file"):
        TightBindingData().get_model()


def test_a_stored_model_cannot_be_changed(aiida_profile_clean):
    from aiida.common.exceptions import ModificationNotAllowed

    node = TightBindingData(model=random_model(4, seed=3)).store()
    with pytest.raises(ModificationNotAllowed):
        node.set_model(random_model(4, seed=4))
    assert_same_model(node.get_model(), random_model(4, seed=3))


def test_loading_holds_one_copy_of_the_arrays(aiida_profile_clean):
    """get_model streams the HDF5 file from the repository and validates in bounded blocks: the peak of new
    allocations while loading a 44 MB model (64 WFs, 169 R vectors) stays near the size of its arrays."""
    model = random_model(64, seed=8, hopping_range=6)
    size = model.hamiltonian.nbytes + model.position.nbytes
    node = TightBindingData(model=model).store()
    del model
    tracemalloc.start()
    loaded = node.get_model()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded.hamiltonian.nbytes + loaded.position.nbytes == size
    assert peak < 1.2 * size, f"peak {peak / size:.2f} x the model size"
