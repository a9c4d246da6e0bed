"""Fixtures of the calcfunction tests: CrI3 bilayers with one Cr kind per layer."""

import pytest
from aiida import orm

from aiida_orbmag.calcfunctions.structures import chromium_trihalide_layers


def _cri3_bilayer(moments_lower, moments_upper) -> tuple[orm.StructureData, dict]:
    cell, symbols, positions = chromium_trihalide_layers("I", layers=2, stacking="monoclinic", vacuum=15.0)
    structure = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
    for symbol, position in zip(symbols, positions, strict=True):
        name = symbol if symbol != "Cr" else ("Cr0" if position[2] < 0 else "Cr1")
        structure.append_atom(position=position.tolist(), symbols=symbol, name=name)
    return structure, {"Cr0": moments_lower, "Cr1": moments_upper, "I": 0.0}


@pytest.fixture
def cri3_bilayer():
    """A factory ``(moments_lower, moments_upper) -> (structure, kind moments)`` of the monoclinic CrI3 bilayer with
    kinds Cr0 (lower layer) and Cr1 (upper layer)."""
    return _cri3_bilayer
