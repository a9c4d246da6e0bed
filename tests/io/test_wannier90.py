"""Readers and writer of Wannier90 files, on real output of Debian's wannier90.x 3.1 (tests/io/data/README.md)."""

import pathlib

import numpy as np
import pytest

from aiida_orbmag.io.wannier90 import read_centres_xyz, read_hr_dat, read_tb_dat, write_tb_dat
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model

DATA = pathlib.Path(__file__).parent / "data"
BOHR = 0.529177210903  # Å, CODATA 2018 as used by wannier90 3.1


@pytest.fixture(scope="module")
def lead():
    return read_tb_dat(DATA / "lead_tb.dat")


def test_header_and_lattice(lead):
    """num_wann, nrpts and the fcc cell of the lead example (given in bohr in lead.win)."""
    assert lead.num_wann == 4 and lead.num_r == 93
    cell_bohr = np.array([[-4.67775, 0, 4.67775], [0, 4.67775, 4.67775], [-4.67775, 4.67775, 0]])
    assert np.allclose(lead.lattice, cell_bohr * BOHR, atol=1e-6)
    assert lead.source == "lead_tb.dat"


def test_wigner_seitz_sum_rule(lead):
    """sum_R 1/ndegen(R) = number of k-points of mp_grid (4 x 4 x 4)."""
    assert np.sum(1.0 / lead.degeneracy) == pytest.approx(64.0, abs=1e-12)


def test_centres_agree_with_the_xyz_file(lead):
    assert np.allclose(lead.centres, read_centres_xyz(DATA / "lead_centres.xyz"), atol=1e-8)


def test_tb_and_hr_files_hold_the_same_hamiltonian(lead):
    hr = read_hr_dat(DATA / "lead_hr.dat", lead.centres, lead.lattice)
    assert np.array_equal(hr.r_vectors, lead.r_vectors) and np.array_equal(hr.degeneracy, lead.degeneracy)
    assert np.allclose(hr.hamiltonian, lead.hamiltonian, atol=1e-6)  # hr.dat prints 6 decimals
    assert hr.position is None


def test_model_reproduces_wannier90s_interpolated_bands(lead):
    """H(k) = sum_R e^{2 pi i k.R} H(R)/ndegen(R) at the path of lead_band.kpt gives lead_band.dat's energies:
    checks the index order and the degeneracy normalisation of the reader (use_ws_distance = false)."""
    kpt = np.loadtxt(DATA / "lead_band.kpt", skiprows=1)[:, :3]
    band = np.loadtxt(DATA / "lead_band.dat")
    expected = band[:, 1].reshape(lead.num_wann, len(kpt)).T
    phase = np.exp(2j * np.pi * kpt @ lead.r_vectors.T)
    hamiltonian = np.einsum("kr,rmn->kmn", phase, lead.hoppings())
    assert np.allclose(np.linalg.eigvalsh(hamiltonian), expected, atol=2e-6)


def test_real_3d_model_is_read_but_refused_for_2d_physics(lead):
    with pytest.raises(ValueError, match="not in the xy plane|3D model"):
        lead.check_two_dimensional()


@pytest.mark.parametrize("model", [cri3_like_bilayer(), random_model(6, seed=2)], ids=["cri3_like", "random"])
def test_write_read_round_trip(model, tmp_path):
    write_tb_dat(model, tmp_path / "m_tb.dat")
    back = read_tb_dat(tmp_path / "m_tb.dat")
    for name in ("lattice", "r_vectors", "degeneracy", "hamiltonian", "centres", "position"):
        assert np.allclose(getattr(back, name), getattr(model, name), rtol=1e-13, atol=1e-14), name


def test_writer_needs_the_position_matrix(tmp_path):
    with pytest.raises(ValueError, match="position matrix"):
        write_tb_dat(random_model(4).replace(position=None), tmp_path / "x_tb.dat")


# ------------------------------------------------------------------------------------------------ bad files
def _lines():
    return (DATA / "lead_tb.dat").read_text().splitlines()


def _write(tmp_path, lines):
    path = tmp_path / "bad_tb.dat"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_tb_dat(tmp_path / "nothing_tb.dat")


def test_truncated_file(tmp_path):
    lines = _lines()
    with pytest.raises(ValueError, match="truncated"):
        read_tb_dat(_write(tmp_path, lines[: len(lines) // 2]))
    with pytest.raises(ValueError, match="too short"):
        read_tb_dat(_write(tmp_path, lines[:3]))


def _shifted(line, amount):
    m, n, re, im = line.split()
    return f"{m:>5}{n:>5}   {float(re) + amount: .8E} {float(im): .8E}"


FIRST_OFF_DIAGONAL = "    2    1"  # the first H_21(R) line of the file


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({4: "           3"}, "num_wann"),
        ({5: "many"}, "nrpts"),
        ({FIRST_OFF_DIAGONAL: "    2    1    NaN  0.0"}, "NaN"),
        ({FIRST_OFF_DIAGONAL: "    2    1    0.1x  0.0"}, "non-numeric entry '0.1x'"),
        ({FIRST_OFF_DIAGONAL: lambda line: _shifted(line, 0.05)}, "not Hermitian"),
    ],
    ids=["num_wann", "nrpts", "nan", "garbage", "non_hermitian"],
)
def test_corrupted_lines(edit, message, tmp_path):
    """One line changed: a wrong header count, NaN, text in a number, or a Hamiltonian that is not Hermitian."""
    lines = _lines()
    for where, replacement in edit.items():
        index = where if isinstance(where, int) else next(i for i, ln in enumerate(lines) if ln.startswith(where))
        lines[index] = replacement(lines[index]) if callable(replacement) else replacement
    with pytest.raises(ValueError, match=message):
        read_tb_dat(_write(tmp_path, lines))


def test_centres_file_without_centres(tmp_path):
    path = tmp_path / "c.xyz"
    path.write_text("1\ncomment\nPb 0 0 0\n")
    with pytest.raises(ValueError, match="no Wannier centres"):
        read_centres_xyz(path)
