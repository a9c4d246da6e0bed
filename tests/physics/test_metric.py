"""The metric-derivative term of Lambda: analytic d_j G against finite differences, and against the Fermi-surface
form after integration over the zone."""

import numpy as np
import pytest

from aiida_orbmag.physics import geometry
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, gamma_matrix_model, two_band_model
from aiida_orbmag.physics.response import compute_susceptibility


def _cluster_sum(values, bands):
    """Sum a (..., n) per-band array over the bands of each cluster, returned per band (gauge invariant)."""
    same = (~bands.outside).astype(float)  # (k, n, m)
    return np.einsum("k...m,knm->k...n", values, same)


@pytest.mark.parametrize(
    "model",
    [two_band_model(), gamma_matrix_model(), cri3_like_bilayer(), cri3_like_bilayer(zeeman=0.1)],
    ids=["two_band", "gamma_pt", "cri3_like_pt", "cri3_like_split"],
)
def test_metric_derivative_against_finite_differences(model, random_kpoints, bands_at):
    """d_j G^D_il (cluster-summed) from the covariant-derivative formula equals a central difference of G^D."""
    step = 1e-5
    bands = bands_at(model, random_kpoints)
    analytic = _cluster_sum(geometry.quantum_metric_derivative(bands), bands)  # (k, j, i, l, n)
    for j in range(2):
        shift = np.zeros(2)
        shift[j] = step
        plus, minus = bands_at(model, random_kpoints + shift), bands_at(model, random_kpoints - shift)
        numeric = (
            _cluster_sum(geometry.quantum_metric(plus), plus) - _cluster_sum(geometry.quantum_metric(minus), minus)
        ) / (2 * step)
        assert np.allclose(analytic[:, j], numeric, rtol=1e-6, atol=1e-7)
    assert np.abs(analytic).max() > 1e-2


@pytest.mark.parametrize(
    ("model", "mu"),
    [(cri3_like_bilayer(), [-0.6, 0.3, 0.5]), (cri3_like_bilayer(zeeman=0.1), [0.3, 0.5]), (two_band_model(), [2.0])],
    ids=["cri3_like_pt", "cri3_like_split", "two_band"],
)
def test_metric_forms_agree_after_integration(model, mu):
    """Analytic and Fermi-surface forms of the metric term give the same chi and alpha once the grid resolves the
    thermal smearing (the zone sum of a derivative of a smooth periodic function vanishes exponentially fast)."""
    settings = {"mu": mu, "temperature": [1000.0], "kmesh": (128, 128)}
    analytic = compute_susceptibility(model, conventions=Conventions(metric_form="analytic"), **settings)
    surface = compute_susceptibility(model, conventions=Conventions(metric_form="fermi_surface"), **settings)
    assert np.allclose(analytic.chi, surface.chi, rtol=1e-9, atol=1e-14)
    assert np.allclose(analytic.alpha, surface.alpha, rtol=1e-9, atol=1e-14)
    assert np.abs(analytic.chi[..., 0]).min() > 1e-5  # metallic, non-zero responses


def test_metric_term_integrates_to_zero_in_an_insulator(bands_at):
    """With mu in the gap the metric term's zone integral vanishes: chi is the first term alone."""
    model = cri3_like_bilayer()
    from aiida_orbmag.physics.kgrid import uniform_grid

    k = uniform_grid(model.reciprocal_lattice_2d, (48, 48))
    bands = bands_at(model, k)
    occupied = slice(0, 2)
    metric_sum = geometry.lambda_metric_term(bands)[:, :, occupied].sum(axis=(0, 2))
    first_sum = geometry.lambda_first_term(bands)[:, :, occupied].sum(axis=(0, 2))
    assert np.abs(metric_sum).max() < 1e-10 * np.abs(first_sum).max()
    assert np.abs(geometry.lambda_metric_term(bands)[:, :, occupied].sum(axis=2)).max() > 1e-3  # not zero pointwise


@pytest.mark.parametrize("model", [gamma_matrix_model(), cri3_like_bilayer(zeeman=0.1)], ids=["gamma_pt", "split"])
def test_lambda_metric_term_is_the_curl_of_the_metric_derivative(model, random_kpoints, bands_at):
    """The fast metric term (four components, real arithmetic) equals (1/2)(d_x G_iy - d_y G_ix) from the full
    quantum_metric_derivative."""
    bands = bands_at(model, random_kpoints)
    dg = geometry.quantum_metric_derivative(bands)
    expected = 0.5 * (dg[:, 0, :, 1] - dg[:, 1, :, 0])
    assert np.abs(geometry.lambda_metric_term(bands) - expected).max() <= 1e-13 * np.abs(expected).max()
