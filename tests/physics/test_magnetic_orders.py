"""Candidate magnetic orders from geometry: CrI3 monolayer and bilayer, a triangular net, no magnetic atom."""

import numpy as np
import pytest

from aiida_orbmag.calcfunctions.structures import chromium_trihalide_layers
from aiida_orbmag.physics.magnetic_orders import candidate_orders, magnetic_layer_count


def test_monolayer_cri3_has_ferromagnet_and_neel():
    cell, symbols, positions = chromium_trihalide_layers("I", layers=1)
    orders = candidate_orders(cell, positions, symbols)
    assert set(orders) == {"ferromagnetic", "neel"}
    chromium = [i for i, s in enumerate(symbols) if s == "Cr"]
    assert [orders["ferromagnetic"][i] for i in chromium] == [1, 1]
    assert sorted(orders["neel"][i] for i in chromium) == [-1, 1]  # the two honeycomb sublattices
    assert all(orders[name][i] == 0 for name in orders for i, s in enumerate(symbols) if s == "I")


@pytest.mark.parametrize("stacking", ["monoclinic", "rhombohedral"])
def test_bilayer_cri3_adds_the_interlayer_antiferromagnet(stacking):
    cell, symbols, positions = chromium_trihalide_layers("I", layers=2, stacking=stacking)
    orders = candidate_orders(cell, positions, symbols)
    assert set(orders) == {"ferromagnetic", "interlayer_antiferromagnetic", "neel"}
    chromium = [i for i, s in enumerate(symbols) if s == "Cr"]
    lower = [i for i in chromium if positions[i, 2] < 0]
    upper = [i for i in chromium if positions[i, 2] > 0]
    afm = orders["interlayer_antiferromagnetic"]
    assert {afm[i] for i in lower} == {1} and {afm[i] for i in upper} == {-1}
    assert sum(orders["neel"][i] for i in lower) == 0 and sum(orders["neel"][i] for i in upper) == 0


def test_triangular_net_has_no_neel_order():
    cell = np.array([[2.5, 0, 0], [-1.25, 2.5 * np.sqrt(3) / 2, 0], [0, 0, 15.0]])
    assert set(candidate_orders(cell, np.zeros((1, 3)), ["Fe"])) == {"ferromagnetic"}
    # two sites of a triangular net in a 2x1 cell: each has neighbours of both colours -> still no Neel
    cell2 = cell * [[2], [1], [1]]
    positions = np.array([[0, 0, 0], [2.5, 0, 0]])
    assert set(candidate_orders(cell2, positions, ["Fe", "Fe"])) == {"ferromagnetic"}


def test_no_magnetic_element_is_refused():
    with pytest.raises(ValueError, match="no magnetic element"):
        candidate_orders(np.eye(3) * 5, np.zeros((1, 3)), ["Si"])


@pytest.mark.parametrize("layers", [1, 2])
def test_magnetic_layer_count_of_cri3(layers):
    cell, symbols, positions = chromium_trihalide_layers("I", layers=layers)
    assert magnetic_layer_count(positions, symbols) == layers
    assert magnetic_layer_count(positions, ["I"] * len(symbols)) == 0  # nothing magnetic
