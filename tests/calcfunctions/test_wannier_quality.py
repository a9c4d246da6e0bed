"""The Wannier quality report: PT detection from the magnetic structure, PT-pair splitting, frozen-window match."""

import numpy as np
import pytest
from aiida import orm

from aiida_orbmag.calcfunctions.wannier_quality import has_pt_symmetry, pt_pair_splitting, wannier_quality_report
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.physics.bands import band_energies
from aiida_orbmag.physics.reference_models import cri3_like_bilayer


def test_interlayer_antiferromagnet_has_pt_and_the_ferromagnet_not(aiida_profile, cri3_bilayer):
    assert has_pt_symmetry(*cri3_bilayer(3.0, -3.0))
    assert not has_pt_symmetry(*cri3_bilayer(3.0, 3.0))
    assert has_pt_symmetry(*cri3_bilayer([0.0, 0.0, 3.0], [0.0, 0.0, -3.0]))


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


def _nickel_bilayer_afm(spin_axis) -> tuple[orm.StructureData, dict]:
    """The quick demo's bilayer with kinds Ni0 (lower) and Ni1 (upper) and antiparallel moments along ``spin_axis``."""
    from aiida_orbmag.demo import nickel_bilayer

    plain = nickel_bilayer()
    structure = orm.StructureData(cell=plain.cell, pbc=plain.pbc)
    for index, site in enumerate(plain.sites):
        structure.append_atom(position=site.position, symbols="Ni", name=f"Ni{index}")
    axis = np.asarray(spin_axis, dtype=float)
    return structure, {"Ni0": axis.tolist(), "Ni1": (-axis).tolist()}


def test_model_symmetry_report_of_the_demo_model(aiida_profile, nickel_afm_model_folder):
    """The demo's real model (MDRS applied) keeps its magnetic group {E, PT, C2x, M_x T} in the frozen window on the
    Wannier grid and off it, and its centres map onto each other; claiming the group of moments along x instead
    (M_x unitary, which the model does not have) is caught: a negative control with the same model."""
    from aiida_orbmag.calcfunctions.wannier_quality import SYMMETRY_TOLERANCE_EV, model_symmetry_report
    from aiida_orbmag.io.wannier90 import read_tb_dat

    model = read_tb_dat(nickel_afm_model_folder / "aiida_tb.dat")
    grid = np.array([[i / 6, j / 6, 0.0] for i in range(6) for j in range(6)])
    grids = {"": grid, "_off_grid": grid + [1 / 12, 1 / 12, 0.0]}
    fermi = -5.128059
    window = (fermi - 3.0, fermi + 0.5)
    report = model_symmetry_report(model, *_nickel_bilayer_afm([0, 1, 0]), window, grids)
    print({key: value for key, value in report.items() if key != "symmetry_operations"})
    assert len(report["symmetry_operations"]) == 4
    assert report["max_symmetry_band_deviation_eV"] < 1e-6  # on the grid: the DFT's own symmetry
    assert report["max_symmetry_band_deviation_off_grid_eV"] < 1e-4  # measured 1.5e-5 eV
    assert report["max_centre_mismatch_angstrom"] < 1e-3  # measured 4e-4 Å
    assert report["model_keeps_symmetry"] is True
    wrong = model_symmetry_report(model, *_nickel_bilayer_afm([1, 0, 0]), window, grids)
    assert wrong["max_symmetry_band_deviation_off_grid_eV"] > 10 * SYMMETRY_TOLERANCE_EV
    assert wrong["model_keeps_symmetry"] is False
