"""In-plane magnetic point groups of CrI3 bilayers from spglib, and what they allow of chi."""

import pytest
from aiida import orm

from aiida_orbmag.calcfunctions.magnetic_symmetry import magnetic_point_group


def _group(cri3_bilayer, stacking, lower, upper):
    structure, moments = cri3_bilayer(lower, upper)
    if stacking == "rhombohedral":
        from aiida_orbmag.calcfunctions.structures import chromium_trihalide_layers

        cell, symbols, positions = chromium_trihalide_layers("I", layers=2, stacking="rhombohedral", vacuum=15.0)
        structure = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
        for symbol, position in zip(symbols, positions, strict=True):
            name = symbol if symbol != "Cr" else ("Cr0" if position[2] < 0 else "Cr1")
            structure.append_atom(position=position.tolist(), symbols=symbol, name=name)
    vectors = {kind: [0.0, 0.0, m] for kind, m in moments.items()}
    return magnetic_point_group(structure, orm.Dict(vectors)).get_dict()


def test_ferromagnetic_bilayer_keeps_inversion_so_chi_vanishes(aiida_profile, cri3_bilayer):
    group = _group(cri3_bilayer, "monoclinic", 3.0, 3.0)
    assert group["allowed"]["intrinsic_allowed"] == {"x": False, "y": False}
    assert group["allowed"]["extrinsic_allowed"] == {"x": False, "y": False}


def test_rhombohedral_antiferromagnet_keeps_the_threefold_axis_so_chi_vanishes(aiida_profile, cri3_bilayer):
    group = _group(cri3_bilayer, "rhombohedral", 3.0, -3.0)
    assert group["allowed"]["intrinsic_allowed"] == {"x": False, "y": False}
    assert group["num_operations"] >= 3


def test_monoclinic_antiferromagnet_allows_one_in_plane_component(aiida_profile, cri3_bilayer):
    group = _group(cri3_bilayer, "monoclinic", 3.0, -3.0)
    allowed = group["allowed"]["intrinsic_allowed"]
    assert sum(allowed.values()) == 1, allowed  # the 2-fold axis / mirror leaves exactly one direction
    assert any(op["time_reversal"] for op in group["operations"])  # PT (in-plane part: -1 with T)


@pytest.mark.parametrize("moments", [(3.0, -3.0), (3.0, 3.0)])
def test_operations_are_orthogonal_and_include_identity(aiida_profile, moments, cri3_bilayer):
    group = _group(cri3_bilayer, "monoclinic", *moments)
    rotations = [op["rotation"] for op in group["operations"] if not op["time_reversal"]]
    assert [[1.0, 0.0], [0.0, 1.0]] in rotations


def test_parameters_with_symmetry_links_chi_parameters_to_the_group(aiida_profile):
    """The operations enter the parameters through a calcfunction: the graph goes from them to the group; given
    operations are kept."""
    from aiida import orm

    from aiida_orbmag.calcfunctions.magnetic_symmetry import parameters_with_symmetry

    identity = {"rotation": [[1.0, 0.0], [0.0, 1.0]], "time_reversal": False}
    group = orm.Dict({"operations": [identity], "num_operations": 1})
    merged = parameters_with_symmetry(orm.Dict({"kmesh": [4, 4]}), group)
    assert merged["symmetry_operations"] == [identity] and merged["kmesh"] == [4, 4]
    assert merged.creator.inputs.symmetry.uuid == group.uuid
    given = [{"rotation": [[-1.0, 0.0], [0.0, -1.0]], "time_reversal": True}]
    kept = parameters_with_symmetry(orm.Dict({"kmesh": [4, 4], "symmetry_operations": given}), group)
    assert kept["symmetry_operations"] == given


@pytest.mark.parametrize("zeeman", [0.0, 2e-3])
def test_pt_group_sets_the_degeneracy_tolerance_above_the_model_pair_splitting(aiida_profile, zeeman):
    """A PT group with the model: degeneracy_tol = max(default, 2 x the pair splitting on 24x24); the exact PT model
    keeps the default, a Zeeman term that splits its pairs by 2 x 2e-3 eV raises it to 8e-3 eV."""
    from aiida_orbmag.calcfunctions.magnetic_symmetry import parameters_with_symmetry, pt_pair_splitting_of_model
    from aiida_orbmag.data.tight_binding import TightBindingData
    from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS
    from aiida_orbmag.physics.reference_models import cri3_like_bilayer

    model = cri3_like_bilayer(zeeman=zeeman)
    splitting = pt_pair_splitting_of_model(model)
    assert splitting == pytest.approx(2 * zeeman, abs=1e-12)  # sigma_z +-zeeman splits each pair by 2 zeeman
    tight_binding = TightBindingData(model=model)
    symmetry = orm.Dict({"operations": [{"rotation": [[1, 0], [0, 1]], "time_reversal": False}]})
    parameters = orm.Dict({"kmesh": [8, 8], "chemical_potentials": [0.0]})
    with_pt = orm.Dict({"magnetic_group_has_pt": True})
    chosen = parameters_with_symmetry(parameters, symmetry, tight_binding, with_pt).get_dict()
    assert chosen["degeneracy_tol"] == pytest.approx(max(DEFAULT_CONVENTIONS.degeneracy_tol, 4 * zeeman))
    assert chosen["symmetry_operations"] == symmetry["operations"]
    # no PT in the group, no model, or a tolerance the user gave: left as it is
    without_pt = orm.Dict({"magnetic_group_has_pt": False})
    assert "degeneracy_tol" not in parameters_with_symmetry(parameters, symmetry, tight_binding, without_pt).get_dict()
    assert "degeneracy_tol" not in parameters_with_symmetry(parameters, symmetry).get_dict()
    given = orm.Dict({**parameters.get_dict(), "degeneracy_tol": 1e-4})
    assert parameters_with_symmetry(given, symmetry, tight_binding, with_pt)["degeneracy_tol"] == 1e-4
