"""The Wannier quality report: PT detection from the magnetic structure, PT-pair splitting, frozen-window match."""

import numpy as np
import pytest
from aiida import orm

from aiida_orbmag.calcfunctions.wannier_quality import has_pt_symmetry, pt_pair_splitting, wannier_quality_report
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.physics.bands import band_energies
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from aiida_orbmag.workflows.structures import chromium_trihalide_layers


def _cri3_bilayer(moments_lower, moments_upper) -> tuple[orm.StructureData, dict]:
    """Monoclinic CrI3 bilayer with kinds Cr0 (lower layer) and Cr1 (upper layer)."""
    cell, symbols, positions = chromium_trihalide_layers("I", layers=2, stacking="monoclinic", vacuum=15.0)
    structure = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
    for symbol, position in zip(symbols, positions, strict=True):
        name = symbol if symbol != "Cr" else ("Cr0" if position[2] < 0 else "Cr1")
        structure.append_atom(position=position.tolist(), symbols=symbol, name=name)
    return structure, {"Cr0": moments_lower, "Cr1": moments_upper, "I": 0.0}


def test_interlayer_antiferromagnet_has_pt_and_the_ferromagnet_not(aiida_profile):
    assert has_pt_symmetry(*_cri3_bilayer(3.0, -3.0))
    assert not has_pt_symmetry(*_cri3_bilayer(3.0, 3.0))
    assert has_pt_symmetry(*_cri3_bilayer([0.0, 0.0, 3.0], [0.0, 0.0, -3.0]))


def test_pt_pair_splitting_of_the_reference_bilayer():
    kpoints = np.random.default_rng(1).random((40, 3)) * [1, 1, 0]
    symmetric = band_energies(cri3_like_bilayer(), kpoints)
    assert pt_pair_splitting(symmetric) < 1e-10
    broken = band_energies(cri3_like_bilayer(zeeman=0.05), kpoints)
    assert pt_pair_splitting(broken) == pytest.approx(0.1, rel=0.3)  # a Zeeman term of 0.05 eV splits pairs ~0.1 eV


def test_report_on_model_bands_is_exact_and_catches_a_shift(aiida_profile):
    model = cri3_like_bilayer()
    kpoints = np.array([[i / 4, j / 4, 0.0] for i in range(4) for j in range(4)])
    energies = band_energies(model, kpoints)
    bands = orm.BandsData()
    bands.set_kpoints(kpoints)
    bands.set_bands(energies)
    shifted = orm.BandsData()
    shifted.set_kpoints(kpoints)
    shifted.set_bands(energies + 0.02)
    windows = orm.Dict({"frozen_window": [float(energies.min()) - 1, float(energies.max()) + 1]})
    node = TightBindingData(model=model)
    report = wannier_quality_report(node, bands, windows, check_bands=shifted).get_dict()
    assert report["max_frozen_window_deviation_eV"] < 1e-12 and report["num_states_compared"] == energies.size
    assert report["max_frozen_window_deviation_off_grid_eV"] == pytest.approx(0.02, abs=1e-9)
    assert report["window_choice"]["frozen_window"] == windows["frozen_window"]
