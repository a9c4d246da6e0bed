"""Independent real-space check: the magnetoelectric response of finite flakes extrapolates to the bulk chi."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.flake import extrapolate_flake_chi, flake_response
from aiida_orbmag.physics.reference_models import CRI3_LIKE_CHI_HALF_FILLING, cri3_like_bilayer, two_band_model
from aiida_orbmag.physics.response import compute_susceptibility

SIZES = (8, 12, 16, 20)


def test_pt_degenerate_reference_bilayer():
    """The PT-degenerate reference model: flakes extrapolate to chi = 3.47286342e-3 (e²/hbar) Å, sign included."""
    result = extrapolate_flake_chi(cri3_like_bilayer(), SIZES, occupied_per_cell=2)
    assert result.chi[0] == pytest.approx(CRI3_LIKE_CHI_HALF_FILLING[0], rel=1e-4)
    assert abs(result.chi[1]) < 1e-12
    # the finite flakes themselves are far from the bulk value: the extrapolation is doing real work
    assert abs(result.per_size[0, 0] / CRI3_LIKE_CHI_HALF_FILLING[0] - 1) > 0.1


def test_non_degenerate_insulator_against_the_bulk_formula():
    """PT broken by a Zeeman term (no degenerate bands): flake and Bloch-space chi agree, both components."""
    model = cri3_like_bilayer(zeeman=0.1, soc=0.3)
    bulk = compute_susceptibility(
        model, [-0.1], [0.0], (48, 48), conventions=Conventions(position_operator="diagonal")
    ).chi[0, 0]
    flake = extrapolate_flake_chi(model, SIZES, occupied_per_cell=2)
    assert flake.chi[0] == pytest.approx(bulk[0], rel=1e-4)
    assert abs(flake.chi[1] - bulk[1]) < 1e-4 * abs(bulk[0])
    assert abs(bulk[0]) > 1e-3


def test_maxwell_relation_and_origin_independence():
    """dm_z/dE = dP/dB_z at every size; the flake is built around its own centre, so shifting the model's
    centres uniformly changes nothing."""
    model = cri3_like_bilayer()
    response = flake_response(model, 9, 7, occupied_per_cell=2)
    assert np.allclose(response.dm_de, response.dp_db, rtol=1e-10, atol=1e-16)
    shifted = model.replace(centres=model.centres + [0.3, -0.2, 0.0])
    assert np.allclose(flake_response(shifted, 9, 7, occupied_per_cell=2).dm_de, response.dm_de, rtol=1e-10)


def test_exchange_reversal_and_missing_interlayer_soc():
    plus = flake_response(cri3_like_bilayer(), 10, 10, occupied_per_cell=2).dm_de
    minus = flake_response(cri3_like_bilayer(exchange=-1.2), 10, 10, occupied_per_cell=2).dm_de
    assert np.allclose(minus, -plus, rtol=1e-10, atol=1e-16)
    # without interlayer SOC the bulk chi vanishes; finite flakes keep an edge term that extrapolates away
    zero = extrapolate_flake_chi(cri3_like_bilayer(soc_interlayer=0.0), SIZES, occupied_per_cell=2)
    assert np.abs(zero.per_size).max() > 1e-8
    assert np.abs(zero.chi).max() < 1e-6 * abs(plus[0])


def test_flake_refuses_metals_and_chern_insulators():
    with pytest.raises(ValueError, match="in-gap edge states"):
        flake_response(cri3_like_bilayer(), 15, 15, occupied_per_cell=1)  # metal: 225 electrons split a PT pair
    with pytest.raises(ValueError, match="Chern number -1"):
        extrapolate_flake_chi(two_band_model(mass=1.5), SIZES, occupied_per_cell=1)
    with pytest.raises(ValueError, match="at least three"):
        extrapolate_flake_chi(cri3_like_bilayer(), (8, 12), occupied_per_cell=2)
