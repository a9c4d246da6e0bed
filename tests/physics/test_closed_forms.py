"""Lambda's first term against closed forms (two-band d0 + d.sigma; four-band PT eps0 + d.Gamma), point by point."""

import numpy as np
import pytest

from aiida_orbmag.physics import geometry
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.reference_models import (
    gamma_matrix_model,
    gamma_model_vectors,
    two_band_model,
    two_band_vectors,
)


def _metric_of_unit_vector(d, grad_d):
    """(k, i, l) d_i dhat . d_l dhat for d (k, c) with gradients (k, i, c)."""
    norm = np.linalg.norm(d, axis=1)
    dhat = d / norm[:, None]
    # d_i dhat = (d_i d - dhat (dhat . d_i d)) / |d|
    grad_hat = (grad_d - dhat[:, None, :] * np.einsum("kc,kic->ki", dhat, grad_d)[:, :, None]) / norm[:, None, None]
    return np.einsum("kic,klc->kil", grad_hat, grad_hat), norm


def _epsilon_contraction(grad_scalar, metric):
    """(k, i): eps_jl d_j s G_il = d_x s G_iy - d_y s G_ix."""
    return grad_scalar[:, None, 0] * metric[:, :, 1] - grad_scalar[:, None, 1] * metric[:, :, 0]


def test_two_band_first_term_and_metric(random_kpoints, bands_at):
    """Lower band: T1 = -(e/hbar) eps_jl d_j d0 G_il / |d| with G = (1/4) d_i dhat . d_l dhat."""
    bands = bands_at(two_band_model(), random_kpoints)
    d0, grad_d0, d, grad_d = two_band_vectors(random_kpoints)
    metric_hat, norm = _metric_of_unit_vector(d, grad_d)
    expected_metric = 0.25 * metric_hat
    assert np.allclose(bands.energies[:, 0], d0 - norm, atol=1e-12)
    assert np.allclose(geometry.quantum_metric(bands)[..., 0], expected_metric, atol=1e-12)
    expected_t1 = -_epsilon_contraction(grad_d0, expected_metric) / norm[:, None]
    t1 = geometry.lambda_first_term(bands)[:, :, 0]
    assert np.allclose(t1, expected_t1, rtol=1e-9, atol=1e-12)
    assert np.abs(expected_t1).max() > 1e-3  # the comparison is not between zeros
    # the upper band carries the opposite first term in a two-band model (d0 enters both with the same sign)
    assert np.allclose(geometry.lambda_first_term(bands)[:, :, 1], -expected_t1, rtol=1e-9, atol=1e-12)


def test_gamma_model_cluster_first_term(random_kpoints, bands_at):
    """Doubly degenerate lower cluster: sum_D T1 = -(e/hbar) eps_jl d_j eps0 G^D_il / |d|,
    with G^D = (1/2) d_i dhat . d_l dhat."""
    bands = bands_at(gamma_matrix_model(), random_kpoints)
    eps0, grad_eps0, d, grad_d = gamma_model_vectors(random_kpoints)
    metric_hat, norm = _metric_of_unit_vector(d, grad_d)
    assert np.allclose(bands.energies[:, :2], (eps0 - norm)[:, None], atol=1e-10)
    assert np.all(bands.cluster[:, 0] == bands.cluster[:, 1])  # the pair is one cluster
    expected_metric = 0.5 * metric_hat
    cluster_metric = geometry.quantum_metric(bands)[..., :2].sum(axis=-1)
    assert np.allclose(cluster_metric, expected_metric, atol=1e-10)
    expected_t1 = -_epsilon_contraction(grad_eps0, expected_metric) / norm[:, None]
    t1 = geometry.lambda_first_term(bands)[:, :, :2].sum(axis=-1)
    assert np.allclose(t1, expected_t1, rtol=1e-8, atol=1e-11)
    assert np.abs(expected_t1).max() > 1e-3


def test_two_band_berry_curvature_moment_and_chern_number(bands_at):
    """Two-band identities: m_lower = (e_upper - e_lower) Omega_lower / 2; C = 0 for |mass| > 2, |C| = 1 for
    |mass| < 2."""
    from aiida_orbmag.physics.kgrid import uniform_grid
    from aiida_orbmag.physics.topology import chern_number

    model = two_band_model(mass=1.5)
    bands = bands_at(model, uniform_grid(model.reciprocal_lattice_2d, (12, 12)))
    omega = geometry.berry_curvature(bands)
    gap = bands.energies[:, 1] - bands.energies[:, 0]
    assert np.allclose(geometry.orbital_moment(bands)[:, 0], gap * omega[:, 0] / 2, rtol=1e-10)
    assert np.allclose(omega[:, 0], -omega[:, 1])
    assert chern_number(model, 1, (48, 48)) == pytest.approx(-1.0, abs=1e-8)
    assert chern_number(two_band_model(mass=2.5), 1, (48, 48)) == pytest.approx(0.0, abs=1e-8)


def test_berry_curvature_with_the_position_matrix_is_gauge_invariant(random_kpoints, bands_at):
    """Conventions I and II differ by a k-dependent gauge transformation: with the full position matrix (whose
    Wannier-gauge curvature term matters) the Berry curvature and orbital moment agree point by point."""
    from aiida_orbmag.physics.reference_models import random_model

    model = random_model(8, seed=3)
    one, two = (
        bands_at(model, random_kpoints),
        bands_at(model, random_kpoints, conventions=Conventions(bloch_convention="II")),
    )
    assert np.allclose(geometry.berry_curvature(one), geometry.berry_curvature(two), atol=1e-10)
    assert np.allclose(geometry.orbital_moment(one), geometry.orbital_moment(two), atol=1e-10)
    dropped = bands_at(model, random_kpoints, conventions=Conventions(position_operator="diagonal"))
    assert not np.allclose(geometry.berry_curvature(one), geometry.berry_curvature(dropped), atol=1e-3)
