"""Mott relation between the orbital magnetothermal and magnetoelectric susceptibilities.

Xiao et al., PRB 103, 045401 (2021), Eq. 12 with its sign corrected (the form consistent with Eqs. 9, 10 and 13):

    alpha(mu, T) = int d eta (-df0/d eta) (eta - mu)/(e T) chi_{T=0}(eta)  ->  (pi² k_B² T / 3e) dchi/dmu at low T.

In the package's units (chi in (e²/hbar) Å, alpha in (|e| k_B/hbar) Å, e = -|e|):

    alpha = sign(e) int d eta [-(d/d eta) (s0/k_B)(eta)] chi_{T=0}(eta),

because (eta - mu) (-df0/d eta)/(k_B T) = -(d/d eta)(s0/k_B). The same relation links the extrinsic parts.
"""

from __future__ import annotations

import numpy as np

from . import occupation, units
from .units import KB_EV_PER_K


def mott_alpha(eta, chi_zero_temperature, mu, temperature):
    """alpha (|e| k_B/hbar Å) predicted from chi_{T=0}(eta) ((e²/hbar) Å) sampled on a uniform grid ``eta`` (eV).

    :param eta: (n_eta,) uniformly spaced energies covering mu +- ~40 k_B T.
    :param chi_zero_temperature: (n_eta, ...) chi at T = 0 and chemical potential eta (any trailing components).
    :param mu: chemical potential(s) (eV), scalar or (n_mu,).
    :param temperature: temperature (K), > 0.
    :returns: (n_mu, ...) alpha; the quadrature integrates the smooth weight exactly over each eta bin and holds
        chi constant in it, so the error is set by the eta spacing relative to k_B T.
    """
    eta = np.asarray(eta, dtype=float)
    chi0 = np.asarray(chi_zero_temperature, dtype=float)
    if eta.ndim != 1 or len(eta) < 3 or len(chi0) != len(eta):
        raise ValueError("eta must be a 1D grid of at least 3 energies, with one chi value per energy.")
    step = np.diff(eta)
    if not np.allclose(step, step[0], rtol=1e-8, atol=0) or step[0] <= 0:
        raise ValueError("eta must be uniformly spaced and increasing.")
    if not temperature > 0:
        raise ValueError(f"The Mott relation needs a temperature > 0 K, got {temperature} K.")
    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    window = 30 * KB_EV_PER_K * temperature
    if np.any(mu - window < eta[0]) or np.any(mu + window > eta[-1]):
        raise ValueError(
            f"The eta grid [{eta[0]:.4f}, {eta[-1]:.4f}] eV must cover every mu +- 30 k_B T (= {window:.4f} eV)."
        )
    edges = np.concatenate([[eta[0] - step[0] / 2], eta + step[0] / 2])
    entropy = occupation.entropy_density(edges[:, None], mu[None, :], temperature)  # (n_eta + 1, n_mu)
    weights = -(entropy[1:] - entropy[:-1])  # int over each bin of -(s0/k_B)'
    return units.ELECTRON_CHARGE_SIGN * np.tensordot(weights.T, chi0, axes=1)


def sommerfeld_alpha_over_t(chi_zero_temperature_derivative):
    """Low-temperature limit alpha/T = (pi² k_B² / 3e) dchi/dmu, in (|e| k_B/hbar) Å per K.

    :param chi_zero_temperature_derivative: dchi/dmu at T = 0 in (e²/hbar) Å per eV.
    """
    return units.ELECTRON_CHARGE_SIGN * np.pi**2 / 3 * KB_EV_PER_K * np.asarray(chi_zero_temperature_derivative)
