"""wannier90's MDRS interpolation: ``seedname_wsvec.dat`` read and applied, checked against wannier90.x's own bands.

Data: ``data/lead_mdrs`` is Debian's wannier90.x 3.1 run on the lead example with its default ``use_ws_distance =
.true.`` and a band path (see data/README.md).
"""

import gzip
import logging
import pathlib
import shutil

import numpy as np
import pytest

from aiida_orbmag.io.wannier90 import read_hr_dat, read_tb_dat, read_wsvec_dat, write_tb_dat
from aiida_orbmag.physics.bands import band_energies
from aiida_orbmag.physics.mdrs import apply_mdrs

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def lead_mdrs(tmp_path) -> pathlib.Path:
    """The lead run's aiida_tb.dat and aiida_wsvec.dat, decompressed into a folder of their own."""
    for name in ("aiida_tb.dat", "aiida_wsvec.dat"):
        (tmp_path / name).write_bytes(gzip.decompress((DATA / "lead_mdrs" / f"{name}.gz").read_bytes()))
    return tmp_path


def wannier90_bands(folder: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """k-points (fractional) and energies (k, band) of wannier90.x's own band interpolation (aiida_band.*)."""
    kpoints = np.loadtxt(folder / "aiida_band.kpt", skiprows=1)[:, :3]
    columns = np.loadtxt(folder / "aiida_band.dat")
    return kpoints, columns[:, 1].reshape(-1, len(kpoints)).T


def test_mdrs_reproduces_wannier90s_own_bands(lead_mdrs):
    """With the shifts, H(k) from aiida_tb.dat gives wannier90.x's bands to its print precision (1e-5 eV); the plain
    Wigner-Seitz sum (negative control) misses them by tenths of an eV."""
    kpoints, expected = wannier90_bands(DATA / "lead_mdrs")
    model = read_tb_dat(lead_mdrs / "aiida_tb.dat")
    assert model.mdrs
    assert np.abs(band_energies(model, kpoints) - expected).max() < 1e-5
    plain = read_tb_dat(lead_mdrs / "aiida_tb.dat", wsvec=None)
    assert not plain.mdrs
    assert np.abs(band_energies(plain, kpoints) - expected).max() > 0.1


def test_mdrs_keeps_the_model_on_the_grid(lead_mdrs):
    """The shifts move hoppings by lattice vectors T that are multiples of the supercell (the k-grid's period), so
    on the 4x4x4 grid H(k) is unchanged; and the folded weights add up to the Wigner-Seitz sum rule."""
    mdrs = read_tb_dat(lead_mdrs / "aiida_tb.dat")
    plain = read_tb_dat(lead_mdrs / "aiida_tb.dat", wsvec=None)
    grid = np.array([[i, j, k] for i in range(4) for j in range(4) for k in range(4)]) / 4.0
    assert np.abs(band_energies(mdrs, grid) - band_energies(plain, grid)).max() < 1e-10
    assert np.all(mdrs.degeneracy == 1)
    onsite = mdrs.r_index[(0, 0, 0)]
    np.testing.assert_allclose(mdrs.centres, plain.centres)
    np.testing.assert_allclose(mdrs.position[onsite].diagonal().T.real, mdrs.centres)


def test_explicit_path_auto_and_off(lead_mdrs, tmp_path, caplog):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(lead_mdrs / "aiida_wsvec.dat", elsewhere / "shifts.dat")
    with caplog.at_level(logging.WARNING):
        assert not read_tb_dat(lead_mdrs / "aiida_tb.dat").mdrs
    assert "aiida_wsvec.dat" in caplog.text and "not applied" in caplog.text
    assert read_tb_dat(lead_mdrs / "aiida_tb.dat", wsvec=elsewhere / "shifts.dat").mdrs
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_tb_dat(lead_mdrs / "aiida_tb.dat", wsvec=tmp_path / "missing_wsvec.dat")


def test_hr_dat_takes_the_shifts_too(lead_mdrs):
    """wannier90 writes the raw H(R) whatever use_ws_distance, so the lead example's seedname_hr.dat with the MDRS
    run's shifts gives that run's bands (to the 1e-6 eV print precision of hr.dat)."""
    plain = read_tb_dat(DATA / "lead_tb.dat", wsvec=None)
    assert not read_hr_dat(DATA / "lead_hr.dat", plain.centres, plain.lattice).mdrs  # no lead_wsvec.dat beside it
    hr = read_hr_dat(DATA / "lead_hr.dat", plain.centres, plain.lattice, wsvec=lead_mdrs / "aiida_wsvec.dat")
    assert hr.mdrs
    kpoints, expected = wannier90_bands(DATA / "lead_mdrs")
    assert np.abs(band_energies(hr, kpoints) - expected).max() < 2e-5


def test_use_ws_distance_false_changes_nothing(tmp_path):
    """A wsvec file written with use_ws_distance = .false. (real, from the lead_normal parser case) leaves the plain
    Wigner-Seitz model as it is, and says so (mdrs False)."""
    path = pathlib.Path(__file__).parents[1] / "parsers" / "data" / "lead_normal"
    for name in ("aiida_tb.dat", "aiida_wsvec.dat"):
        (tmp_path / name).write_bytes(gzip.decompress((path / f"{name}.gz").read_bytes()))
    shifts = read_wsvec_dat(tmp_path / "aiida_wsvec.dat")
    assert not shifts.use_ws_distance and np.all(shifts.counts == 1) and not shifts.shifts.any()
    model = read_tb_dat(tmp_path / "aiida_tb.dat")
    plain = read_tb_dat(tmp_path / "aiida_tb.dat", wsvec=None)
    assert not model.mdrs
    assert np.array_equal(model.hamiltonian, plain.hamiltonian)


def test_shifts_are_applied_once(lead_mdrs):
    model = read_tb_dat(lead_mdrs / "aiida_tb.dat")
    with pytest.raises(ValueError, match="already has the MDRS shifts"):
        apply_mdrs(model, read_wsvec_dat(lead_mdrs / "aiida_wsvec.dat"))


def test_written_mdrs_model_reads_back_without_new_shifts(lead_mdrs, tmp_path):
    """write_tb_dat of an MDRS model writes the expanded R set (all degeneracies 1); read back without a wsvec file
    it is the same model."""
    model = read_tb_dat(lead_mdrs / "aiida_tb.dat")
    write_tb_dat(model, tmp_path / "expanded_tb.dat")
    again = read_tb_dat(tmp_path / "expanded_tb.dat", wsvec=None)
    kpoints = np.random.default_rng(0).random((20, 3))
    assert np.abs(band_energies(again, kpoints) - band_energies(model, kpoints)).max() < 1e-10


def _mutate(text: str, how: str) -> str:
    lines = text.splitlines()
    if how == "header":
        lines[0] = "## written on some day"
    elif how == "truncated":
        lines = lines[: len(lines) // 2 + 1]
    elif how == "count_too_large":
        lines[2] = "    2"
    elif how == "count_zero":
        lines[2] = "    0"
    elif how == "non_integer":
        lines[3] = "    0    0.5    0"
    elif how == "four_numbers":
        lines[3] = "    0    0    0    0"
    elif how == "foreign_r":
        lines[1] = "   99    1    1    1    1"
    elif how == "orbital_beyond_num_wann":
        lines[1] = "   -3    1    1    9    1"
    elif how == "entry_missing":
        count = int(lines[2])
        lines = lines[:1] + lines[3 + count :]
    elif how == "empty":
        lines = lines[:1]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("header", "use_ws_distance"),
        ("truncated", "truncated"),
        ("count_too_large", "announces 2 shifts"),
        ("count_zero", "replica count below 1"),
        ("non_integer", "non-integer"),
        ("four_numbers", "holds 4 numbers"),
        ("foreign_r", "does not have"),
        ("orbital_beyond_num_wann", "beyond 1..num_wann"),
        ("entry_missing", "missing"),
        ("empty", "no entry line"),
    ],
)
def test_bad_wsvec_files_give_one_clear_error(lead_mdrs, how, message):
    path = lead_mdrs / "aiida_wsvec.dat"
    path.write_text(_mutate(path.read_text(), how))
    with pytest.raises(ValueError, match=message) as error:
        read_tb_dat(lead_mdrs / "aiida_tb.dat")
    assert "aiida_wsvec.dat" in str(error.value)


def test_gzip_files_are_read_as_they_are_with_their_compressed_shifts(lead_mdrs, tmp_path):
    plain = read_tb_dat(lead_mdrs / "aiida_tb.dat")
    compressed = read_tb_dat(DATA / "lead_mdrs" / "aiida_tb.dat.gz")  # finds aiida_wsvec.dat.gz beside it
    assert compressed.mdrs and plain.mdrs
    np.testing.assert_array_equal(compressed.r_vectors, plain.r_vectors)
    np.testing.assert_array_equal(compressed.hamiltonian, plain.hamiltonian)
    broken = tmp_path / "broken_tb.dat.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        read_tb_dat(broken)
