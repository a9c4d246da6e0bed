"""Every unit conversion of the package, built from scipy.constants (CODATA).

The physics core computes in reduced units: energies in eV, lengths in Å, wave vectors in 1/Å, with the factors
e/hbar taken out. In those units

- Lambda (Xiao et al., PRB 103, 045401 (2021), Eq. 11) comes in (e/hbar) Å³,
- chi (Eq. 8) in (e²/hbar) Å, independent of the sign of the charge,
- alpha (Eq. 9) in (e k_B/hbar) Å. The electron charge is e = -|e| (:data:`ELECTRON_CHARGE_SIGN`); the response
  module multiplies by that sign once, so every alpha it returns is in the positive unit (|e| k_B/hbar) Å.

Reported units: chi in nm/Ohm, alpha in nA nm/K (= 1e-18 A m/K), magnetization in mu_B/nm² (or A, the SI unit of
a 2D magnetization, magnetic moment per area).
"""

from __future__ import annotations

from scipy import constants as _c

#: Sign of the carrier charge in units of |e|: electrons.
ELECTRON_CHARGE_SIGN = -1

HBAR_EV_FS = _c.hbar / _c.e * 1e15  # hbar in eV fs
KB_EV_PER_K = _c.k / _c.e  # Boltzmann constant in eV/K

#: 1 (e²/hbar) Å in nm/Ohm (e²/hbar in siemens times 1 Å in nm).
CHI_UNIT_NM_PER_OHM = _c.e**2 / _c.hbar * 1e-10 * 1e9
#: 1 (|e| k_B/hbar) Å in nA nm/K (A m/K times 1e9 nA/A times 1e9 nm/m).
ALPHA_UNIT_NA_NM_PER_K = _c.e * _c.k / _c.hbar * 1e-10 * 1e18
#: 1 mu_B/nm² in ampere (a 2D magnetization).
BOHR_MAGNETON_PER_NM2_IN_AMPERE = _c.physical_constants["Bohr magneton"][0] / 1e-18


def chi_to_nm_per_ohm(chi_reduced):
    """chi from (e²/hbar) Å to nm/Ohm."""
    return chi_reduced * CHI_UNIT_NM_PER_OHM


def alpha_to_na_nm_per_k(alpha):
    """alpha from (|e| k_B/hbar) Å to nA nm/K."""
    return alpha * ALPHA_UNIT_NA_NM_PER_K


def relaxation_time_to_inverse_ev(tau_fs: float) -> float:
    """tau/hbar in 1/eV for tau in fs (the factor that makes the extrinsic response dimensionless)."""
    return tau_fs / HBAR_EV_FS


def magnetization_from_field(chi_nm_per_ohm, field_v_per_m):
    """Delta M_z (mu_B/nm²) = chi . E for chi in nm/Ohm and E in V/m (Xiao et al. Eq. 7)."""
    ampere = chi_nm_per_ohm * 1e-9 * field_v_per_m  # (m/Ohm)(V/m) = A
    return ampere / BOHR_MAGNETON_PER_NM2_IN_AMPERE


def magnetization_from_temperature_gradient(alpha_na_nm_per_k, gradient_k_per_m):
    """Delta M_z (mu_B/nm²) = -alpha . grad T for alpha in nA nm/K and grad T in K/m (Xiao et al. Eq. 7)."""
    ampere = -alpha_na_nm_per_k * 1e-18 * gradient_k_per_m  # (A m/K)(K/m) = A
    return ampere / BOHR_MAGNETON_PER_NM2_IN_AMPERE
