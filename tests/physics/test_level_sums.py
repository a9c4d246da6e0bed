"""Binned Taylor occupation sums equal the exact per-level weights to round-off, for many (mu, T) at once."""

import numpy as np
import pytest
from scipy.special import expit

from aiida_orbmag.physics.bands import band_energies
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.level_sums import (
    OUTPUTS,
    TAYLOR_ORDER,
    BinnedSums,
    ExactSums,
    _taylor_coefficients,
    _weights,
)
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import random_model
from aiida_orbmag.physics.response import compute_susceptibility

#: Agreement asked of the two methods, relative to the largest |value| of each response.
TOLERANCE = 1e-12


def _relative_difference(a, b):
    return np.abs(a - b).max() / np.abs(a).max()


def test_taylor_coefficients_reproduce_the_fermi_and_entropy_functions():
    """sum_n g_n u^n = f(x + u h) and sum_n sigma_n u^n = s(x + u h) for |u| <= 1/2, h = 1, to round-off, across
    and beyond the +-40 k_B T window."""
    x = np.linspace(-45, 45, 3001)[:, None]
    u = np.linspace(-0.5, 0.5, 11)[None, :]
    g, sigma = _taylor_coefficients(x, 1.0, TAYLOR_ORDER)
    powers = u ** np.arange(TAYLOR_ORDER + 1)[:, None, None]
    f_series, s_series = (np.sum(c * powers, axis=0) for c in (g, sigma))
    y = x + u
    f = expit(-y)
    s = np.log1p(np.exp(-np.abs(y))) + np.abs(y) * expit(-np.abs(y))
    assert np.abs(f_series - f).max() < 1e-15
    assert np.abs(s_series - s).max() < 4e-15 * np.abs(s).max()
    # the first derivatives in closed form: f' = -f(1 - f), s' = x f'
    assert np.allclose(g[1], -expit(-x) * expit(x), rtol=1e-15, atol=0)
    assert np.allclose(sigma[1], x * g[1], rtol=1e-15, atol=0)


def test_lower_orders_in_the_tails_keep_the_relative_precision():
    """The weights with TAIL_ORDERS (fewer orders far from mu) reproduce f, s, f' and s' to round-off of their own
    value at every |x| up to 45 (so even sums made only of tail levels are exact to round-off); the full order
    gives the same maximal errors (7e-16 for f, 1.1e-15 for f', 4e-15 for s' at x = 32)."""
    x = np.linspace(-45, 45, 901)[:, None] + np.array([0.013, 0.29, 0.51, 0.77, 0.93])  # (b, w); x + u != 0
    u = 0.5
    f, s = _weights(x, 1.0, 1)
    y = x + u
    steps = u ** np.arange(TAYLOR_ORDER + 2)[:, None, None]
    derivative = np.arange(1, TAYLOR_ORDER + 2)[:, None, None] * u ** np.arange(TAYLOR_ORDER + 1)[:, None, None]
    exact_f, exact_df = expit(-y), -expit(-y) * expit(y)
    exact_s = np.log1p(np.exp(-np.abs(y))) + np.abs(y) * expit(-np.abs(y))
    checks = [
        (np.sum(f * steps, axis=0), exact_f),
        (np.sum(s * steps, axis=0), exact_s),
        (np.sum(f[1:] * derivative, axis=0), exact_df),
        (np.sum(s[1:] * derivative, axis=0), y * exact_df),
    ]
    for series, exact in checks:
        assert np.all(np.abs(series - exact) <= 1e-14 * np.abs(exact))  # round-off: ~20 terms, factors up to |x|


def _levels(rng, n_levels, with_derivatives=True):
    levels = {"energy": rng.uniform(-3, 3, n_levels), "sea": rng.normal(size=(n_levels, 2))}
    if with_derivatives:
        levels["fermi_surface"] = rng.normal(size=(n_levels, 2))
        levels["extrinsic"] = rng.normal(size=(n_levels, 2))
    return levels


@pytest.mark.parametrize(
    ("mu", "temperature"),
    [
        (np.linspace(-1.0, 1.0, 301), [1.0, 300.0, 0.0, 77.0]),  # mixes 1 K and 300 K, and T = 0
        (np.array([0.25]), [10.0]),  # a single mu: most levels below or above the window
        (np.array([-2.9, 2.95]), [3000.0, 5.0]),  # windows reaching past the levels
    ],
    ids=["many", "single", "edges"],
)
def test_binned_equals_exact_on_random_levels(mu, temperature):
    rng = np.random.default_rng(11)
    levels = _levels(rng, 6000)
    levels["energy"][:4] = mu[0]  # levels exactly at a chemical potential
    temperature = np.asarray(temperature)
    exact, binned = ExactSums(mu, temperature), BinnedSums(mu, temperature, ("fermi_surface", "extrinsic"))
    for part in np.array_split(np.arange(6000), 3):  # three k-chunks
        chunk = {name: value[part] for name, value in levels.items()}
        exact.add(chunk)
        binned.add(chunk)
    a, b = exact.totals(), binned.totals()
    for name in OUTPUTS:
        assert _relative_difference(a[name], b[name]) < TOLERANCE, name
        assert np.abs(a[name]).max() > 1.0  # the sums are not trivially zero


def test_partial_binned_sums_merge():
    """Sums over two halves of the levels, merged, equal the sum over all (as worker processes use them)."""
    rng = np.random.default_rng(2)
    levels = _levels(rng, 2000)
    mu, temperature = np.linspace(-0.5, 0.5, 21), np.array([30.0, 300.0])
    whole, first, second = (BinnedSums(mu, temperature, ("fermi_surface", "extrinsic")) for _ in range(3))
    whole.add(levels)
    first.add({name: value[:700] for name, value in levels.items()})
    second.add({name: value[700:] for name, value in levels.items()})
    first.merge(second)
    for name in OUTPUTS:
        assert _relative_difference(whole.totals()[name], first.totals()[name]) < 1e-14


MODEL = random_model(8, seed=5)  # bands between about -4.7 and 4.0 eV
MU = np.concatenate([np.linspace(-5.0, 4.5, 200), [0.0]])
TEMPERATURES = [1.0, 40.0, 300.0]


@pytest.mark.parametrize("metric_form", ["analytic", "fermi_surface"])
def test_binned_equals_exact_for_chi_alpha_and_the_extrinsic_part(metric_form):
    options = {"kmesh": (10, 10), "conventions": Conventions(metric_form=metric_form), "relaxation_time_fs": 10.0}
    exact = compute_susceptibility(MODEL, MU, TEMPERATURES, execution=Execution(occupation_method="exact"), **options)
    binned = compute_susceptibility(MODEL, MU, TEMPERATURES, execution=Execution(occupation_method="binned"), **options)
    assert exact.settings["occupation_method"] == "exact" and binned.settings["occupation_method"] == "binned"
    for name in ("chi", "alpha", "chi_extrinsic", "alpha_extrinsic"):
        assert _relative_difference(getattr(exact, name), getattr(binned, name)) < TOLERANCE, name


def test_binned_for_one_mu_and_at_a_level_energy():
    at_level = band_energies(MODEL, np.zeros((1, 3)))[0, 3]  # a level of the grid: Gamma is on it
    for mu in ([0.3], [at_level]):
        exact = compute_susceptibility(MODEL, mu, [1.0], (6, 6), execution=Execution(occupation_method="exact"))
        binned = compute_susceptibility(MODEL, mu, [1.0], (6, 6), execution=Execution(occupation_method="binned"))
        assert _relative_difference(exact.chi, binned.chi) < TOLERANCE
        assert _relative_difference(exact.alpha, binned.alpha) < TOLERANCE


def test_auto_choice_and_the_histogram_limit():
    many = compute_susceptibility(MODEL, MU, TEMPERATURES, (4, 4))
    few = compute_susceptibility(MODEL, [0.0], [300.0], (4, 4))
    assert many.settings["occupation_method"] == "binned" and few.settings["occupation_method"] == "exact"
    # 1 mK over 10 eV would need ~2e8 bins: auto falls back to the exact weights, binned refuses
    cold = {"mu": [-5.0, 5.0], "temperature": [1e-3] * 8, "kmesh": (2, 2)}
    assert compute_susceptibility(MODEL, **cold).settings["occupation_method"] == "exact"
    with pytest.raises(ValueError, match="occupation_method='exact'"):
        compute_susceptibility(MODEL, **cold, execution=Execution(occupation_method="binned"))
    with pytest.raises(ValueError, match="Unknown occupation method"):
        Execution(occupation_method="fast")
