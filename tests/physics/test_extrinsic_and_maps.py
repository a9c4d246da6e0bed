"""Extrinsic (relaxation-time) response and k-resolved Lambda maps."""

import numpy as np
import pytest

from aiida_orbmag.physics.kgrid import uniform_grid
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility, lambda_map

SETTINGS = {"mu": [-0.3, 0.2, 0.6], "temperature": [150.0, 300.0], "kmesh": (32, 32)}


def test_extrinsic_part_is_linear_in_tau_and_leaves_the_intrinsic_part_alone():
    model = random_model(8, seed=3)
    one = compute_susceptibility(model, **SETTINGS, relaxation_time_fs=10.0)
    two = compute_susceptibility(model, **SETTINGS, relaxation_time_fs=20.0)
    plain = compute_susceptibility(model, **SETTINGS)
    assert np.allclose(two.chi_extrinsic, 2 * one.chi_extrinsic, rtol=1e-12)
    assert np.allclose(two.alpha_extrinsic, 2 * one.alpha_extrinsic, rtol=1e-12)
    assert np.array_equal(one.chi, plain.chi) and plain.chi_extrinsic is None
    assert np.abs(one.chi_extrinsic).min() > 1e-3


def test_pt_symmetry_kills_the_extrinsic_part():
    """In the PT-symmetric bilayer every cluster's orbital moment vanishes: chi_ext = alpha_ext = 0, chi_int != 0."""
    result = compute_susceptibility(cri3_like_bilayer(), **SETTINGS, relaxation_time_fs=10.0)
    assert np.abs(result.chi_extrinsic).max() < 1e-12 * np.abs(result.chi).max()
    assert np.abs(result.alpha_extrinsic).max() < 1e-12
    assert np.abs(result.chi[..., 0]).min() > 1e-4


def test_time_reversal_flips_the_intrinsic_part_only():
    """Complex conjugation (time reversal of a spinless model): chi_int -> -chi_int, chi_ext -> +chi_ext."""
    model = random_model(8, seed=3)
    reversed_ = model.replace(hamiltonian=model.hamiltonian.conj(), position=model.position.conj())
    a = compute_susceptibility(model, **SETTINGS, relaxation_time_fs=10.0)
    b = compute_susceptibility(reversed_, **SETTINGS, relaxation_time_fs=10.0)
    assert np.allclose(b.chi, -a.chi, rtol=1e-10, atol=1e-14)
    assert np.allclose(b.alpha, -a.alpha, rtol=1e-10, atol=1e-14)
    assert np.allclose(b.chi_extrinsic, a.chi_extrinsic, rtol=1e-10, atol=1e-14)
    assert np.allclose(b.alpha_extrinsic, a.alpha_extrinsic, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("mu", [0.0, 0.3])
def test_lambda_map_sums_to_chi(mu):
    """The zone sum of the k-resolved Lambda(k) divided by N_k A_cell is chi at the same mu (T = 0)."""
    model = cri3_like_bilayer()
    kmesh = (32, 32)
    lam = lambda_map(model, mu, kmesh=kmesh)
    chi = compute_susceptibility(model, [mu], [0.0], kmesh).chi[0, 0]
    assert np.allclose(lam.values.sum(axis=0) / (np.prod(kmesh) * model.cell_area), chi, rtol=1e-10, atol=1e-15)


def test_lambda_map_symmetry_of_the_bilayer():
    """C2y (with PT): Lambda_x(k) even and Lambda_y(k) odd under k_x -> -k_x (the paper's Fig. 2c,d)."""
    model = cri3_like_bilayer()
    n = 24
    lam = lambda_map(model, 0.0, kmesh=(n, n)).values.reshape(n, n, 2)
    mirrored = lam[(-np.arange(n)) % n]  # k_x -> -k_x for the rectangular lattice
    assert np.allclose(mirrored[..., 0], lam[..., 0], atol=1e-12)
    assert np.allclose(mirrored[..., 1], -lam[..., 1], atol=1e-12)
    assert np.abs(lam[..., 1]).max() > 1e-3  # Lambda_y is locally non-zero, it only integrates to zero


def test_lambda_map_on_explicit_kpoints_matches_the_grid():
    model = cri3_like_bilayer()
    grid = lambda_map(model, 0.3, 100.0, kmesh=(6, 6))
    points = lambda_map(model, 0.3, 100.0, kpoints=uniform_grid(model.reciprocal_lattice_2d, (6, 6))[::5])
    assert np.allclose(points.values, grid.values[::5])
    with pytest.raises(ValueError, match="exactly one of kmesh"):
        lambda_map(model, 0.0)
