"""FFT interpolation on uniform grids equals the direct sums over R to round-off, and so do chi and alpha."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.fourier import FourierInterpolator, subgrid_shape
from aiida_orbmag.physics.kgrid import uniform_grid
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility

FIELDS = ("hamiltonian", "dh", "d2h", "connection", "dconnection")


def oblique_a3_model():
    """A random model whose a3 has an in-plane part and which hops (weakly) along a3: R3 = +-1 groups."""
    base = random_model(4, seed=21, hopping_range=2)
    shifted = base.r_vectors.copy()
    shifted[:, 2] = np.where(np.abs(base.r_vectors).sum(axis=1) == 4, np.sign(base.r_vectors[:, 0]), 0)
    lattice = base.lattice.copy()
    lattice[2] = [0.7, -0.4, 20.0]
    hamiltonian = np.where(shifted[:, 2, None, None] != 0, 1e-4 * base.hamiltonian, base.hamiltonian)
    return base.replace(r_vectors=shifted, lattice=lattice, hamiltonian=hamiltonian)


@pytest.mark.parametrize("convention", ["I", "II"])
@pytest.mark.parametrize(
    ("model", "kmesh", "block"),
    [
        (random_model(6, seed=2, hopping_range=2), (6, 4), 8),  # blocks smaller than the R range: folding aliases
        (random_model(6, seed=2, hopping_range=2), (12, 12), 1000),  # one block
        (cri3_like_bilayer(), (5, 7), 35),
        (cri3_like_bilayer(), (7, 7), 1),  # f = 1: the FFT degenerates to the direct sum
        (oblique_a3_model(), (6, 6), 12),
    ],
    ids=["aliased", "one_block", "odd_mesh", "trivial_blocks", "oblique_a3"],
)
def test_grid_blocks_equal_direct_sums(model, kmesh, block, convention):
    interpolator = FourierInterpolator(model, Conventions(bloch_convention=convention))
    grid = uniform_grid(model.reciprocal_lattice_2d, kmesh)
    seen = []
    for kpoints, matrices in interpolator.grid_blocks(model.reciprocal_lattice_2d, kmesh, block, chunk_points=5):
        direct = interpolator.at(kpoints)
        for name in FIELDS:
            fft, reference = getattr(matrices, name), getattr(direct, name)
            assert np.abs(fft - reference).max() <= 1e-13 * np.abs(reference).max(), name
        seen.append(kpoints)
    seen = np.concatenate(seen)
    # every grid point exactly once
    distance = np.linalg.norm(grid[:, None] - seen[None], axis=-1)
    assert len(seen) == len(grid) and np.all(distance.min(axis=1) < 1e-12) and np.all(distance.min(axis=0) < 1e-12)


def test_subgrid_shape():
    assert subgrid_shape((12, 12), 144) == (12, 12)
    assert subgrid_shape((12, 12), 50) == (4, 12)  # 48 points: the most that divide 12 x 12 and fit
    assert subgrid_shape((12, 12), 40) == (6, 6)  # 36 points: as square as possible
    assert subgrid_shape((7, 11), 50) == (1, 11)  # primes: one axis only
    assert subgrid_shape((400, 400), 445) == (20, 20)


@pytest.mark.parametrize("model", [cri3_like_bilayer(), random_model(6, seed=11, orbitals_per_site=3)])
def test_chi_and_alpha_do_not_depend_on_the_interpolation(model):
    options = {"mu": [-0.3, 0.0, 0.4], "temperature": [0.0, 100.0], "kmesh": (12, 12), "relaxation_time_fs": None}
    direct = compute_susceptibility(model, execution=Execution(interpolation="direct"), **options)
    fft = compute_susceptibility(model, execution=Execution(interpolation="fft", memory_bytes=2**20), **options)
    scale = np.abs(direct.chi).max()
    assert np.abs(fft.chi - direct.chi).max() < 1e-12 * scale
    assert np.abs(fft.alpha - direct.alpha).max() < 1e-12 * max(np.abs(direct.alpha).max(), scale)


def test_unknown_interpolation():
    with pytest.raises(ValueError, match="Unknown interpolation"):
        Execution(interpolation="fast")


def test_mdrs_model_fft_equals_direct_sums(nickel_afm_model_folder):
    """A real model with wannier90's MDRS shifts folded in (R set extended by the shifts): the FFT grid path and the
    direct sums agree to round-off for H, its derivatives and the position matrix (Berry connection)."""
    from aiida_orbmag.io.wannier90 import read_tb_dat

    model = read_tb_dat(nickel_afm_model_folder / "aiida_tb.dat")
    assert model.mdrs
    interpolator = FourierInterpolator(model)
    reciprocal = model.reciprocal_lattice_2d
    for kpoints, fft in interpolator.grid_blocks(reciprocal, (6, 4), block_points=8):
        direct = interpolator.at(kpoints)
        for name in ("hamiltonian", "dh", "d2h", "connection", "dconnection"):
            a, b = getattr(fft, name), getattr(direct, name)
            assert np.abs(a - b).max() <= 1e-10 * max(1.0, np.abs(b).max()), name
