"""The unit module against the figures of the theory notes and an independent route (von Klitzing constant)."""

import pytest
from scipy import constants

from aiida_orbmag.physics import units


def test_chi_unit_from_the_von_klitzing_constant():
    """(e²/hbar) Å = 2 pi / R_K x 0.1 nm = 2.43413e-5 nm/Ohm."""
    von_klitzing = constants.physical_constants["von Klitzing constant"][0]
    assert units.CHI_UNIT_NM_PER_OHM == pytest.approx(2 * constants.pi / von_klitzing * 0.1, rel=1e-12)
    assert units.CHI_UNIT_NM_PER_OHM == pytest.approx(2.43413e-5, rel=1e-5)


def test_alpha_unit():
    """(|e| k_B/hbar) Å = 2.0976e-18 A m/K = 2.0976 nA nm/K; k_B/hbar from the Boltzmann constant in Hz/K."""
    kb_over_h = constants.physical_constants["Boltzmann constant in Hz/K"][0]
    independent = constants.e * kb_over_h * 2 * constants.pi * 1e-10 * 1e18
    assert units.ALPHA_UNIT_NA_NM_PER_K == pytest.approx(independent, rel=1e-12)
    assert units.ALPHA_UNIT_NA_NM_PER_K == pytest.approx(2.0976, rel=1e-4)


def test_magnetization_of_the_paper_example():
    """chi = 1e-4 nm/Ohm with E = 1e4 V/m gives 1e-9 A = 1.08e-4 mu_B/nm² (Xiao et al. 2021, Sec. IV)."""
    assert units.magnetization_from_field(1e-4, 1e4) == pytest.approx(1.0783e-4, rel=1e-4)
    # -alpha . grad T: a positive alpha and a positive gradient give a negative magnetization
    assert units.magnetization_from_temperature_gradient(1.0, 1e6) == pytest.approx(-1e-12 / 9.2740100783e-6, rel=1e-8)


def test_relaxation_time_and_thermal_energy():
    assert units.relaxation_time_to_inverse_ev(units.HBAR_EV_FS) == pytest.approx(1.0)
    assert units.HBAR_EV_FS == pytest.approx(0.6582119569, rel=1e-9)
    assert units.KB_EV_PER_K * 300 == pytest.approx(0.025852, rel=1e-4)
    assert units.ELECTRON_CHARGE_SIGN == -1
