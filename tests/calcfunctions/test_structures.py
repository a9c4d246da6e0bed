"""CrX3 slabs: space groups (spglib), bonds, coordination, spacing and vacuum; the calcfunctions and provenance."""

import numpy as np
import pytest
import spglib
from aiida import orm

from aiida_orbmag.calcfunctions.structures import (
    GEOMETRIES,
    STACKING_SHIFTS,
    chromium_trihalide,
    chromium_trihalide_layers,
    with_vacuum,
)

HALOGENS = ["Cl", "Br", "I"]
ATOMIC_NUMBERS = {"Cr": 24, "Cl": 17, "Br": 35, "I": 53}
SLABS = [(1, "monoclinic"), (2, "monoclinic"), (2, "rhombohedral")]


def space_group_number(cell, symbols, positions):
    """spglib's space-group number of the slab in its periodic cell (vacuum included)."""
    cell = np.asarray(cell)
    fractional = np.asarray(positions) @ np.linalg.inv(cell)
    symbol = spglib.get_spacegroup((cell, fractional, [ATOMIC_NUMBERS[s] for s in symbols]), symprec=1e-5)
    return int(symbol.split("(")[1].rstrip(")"))


def distances_from(cell, positions, i):
    """Distances (Å) from atom ``i`` to every atom in the 3x3 in-plane images of the cell, (N, 9); itself is inf."""
    images = np.array([[m, n, 0] for m in (-1, 0, 1) for n in (-1, 0, 1)]) @ np.asarray(cell)
    distances = np.linalg.norm(positions[:, None, :] + images[None] - positions[i], axis=-1)
    distances[i, 4] = np.inf  # image (0, 0, 0)
    return distances


def layer_height(geometry, lattice_constant=None):
    """Height (Å) of an X plane above its Cr plane: h² = d² - (a/3)²."""
    a = geometry.lattice_constant if lattice_constant is None else lattice_constant
    return np.sqrt(geometry.bond_length**2 - (a / 3) ** 2)


@pytest.mark.parametrize("halogen", HALOGENS)
@pytest.mark.parametrize(("layers", "stacking", "expected"), [(*SLABS[0], 162), (*SLABS[1], 12), (*SLABS[2], 147)])
def test_space_groups(halogen, layers, stacking, expected):
    """Monolayer P-31m; monoclinic bilayer C2/m (2-fold axis, no 3-fold); rhombohedral bilayer P-3 (point group -3)."""
    cell, symbols, positions = chromium_trihalide_layers(halogen, layers, stacking)
    assert space_group_number(cell, symbols, positions) == expected


def test_unshifted_bilayer_keeps_the_monolayer_group():
    """Negative control: without the in-plane shift (AA stacking) the bilayer stays P-31m, neither C2/m nor P-3."""
    cell, symbols, positions = chromium_trihalide_layers("I", 2, "monoclinic")
    shift = np.array([*STACKING_SHIFTS["monoclinic"], 0.0]) @ cell
    upper = positions[:, 2] > 0
    unshifted = positions.copy()
    unshifted[upper] -= shift
    assert space_group_number(cell, symbols, unshifted) == 162


@pytest.mark.parametrize("halogen", HALOGENS)
@pytest.mark.parametrize(("layers", "stacking"), SLABS)
def test_octahedra_and_honeycomb(halogen, layers, stacking):
    """Each Cr has exactly six X at the bulk bond length; Cr–Cr = a/√3; nothing closer than a bond."""
    geometry = GEOMETRIES[halogen]
    cell, symbols, positions = chromium_trihalide_layers(halogen, layers, stacking)
    symbols = np.array(symbols)
    assert (symbols == "Cr").sum() == 2 * layers and (symbols == halogen).sum() == 6 * layers
    for i in np.flatnonzero(symbols == "Cr"):
        distances = distances_from(cell, positions, i)
        to_halogen = np.sort(distances[symbols == halogen].ravel())
        assert to_halogen[:6] == pytest.approx(geometry.bond_length, abs=0.01)
        assert to_halogen[6] > geometry.bond_length + 0.5
        same_plane = (symbols == "Cr") & np.isclose(positions[:, 2], positions[i, 2])
        assert distances[same_plane].min() == pytest.approx(geometry.lattice_constant / np.sqrt(3), abs=1e-8)
    shortest = min(distances_from(cell, positions, i).min() for i in range(len(symbols)))
    assert shortest == pytest.approx(geometry.bond_length, abs=0.01)


@pytest.mark.parametrize("stacking", ["monoclinic", "rhombohedral"])
def test_bilayer_spacing_vacuum_and_close_packing(stacking):
    """Cr planes at the requested spacing, gap c - thickness = vacuum, slab centred, X close packed across the gap."""
    a, spacing, vacuum = 7.0, 7.2, 15.5
    cell, symbols, positions = chromium_trihalide_layers(
        "I", 2, stacking, vacuum=vacuum, lattice_constant=a, interlayer_distance=spacing
    )
    symbols = np.array(symbols)
    chromium_planes = np.unique(np.round(positions[symbols == "Cr", 2], 8))
    assert np.diff(chromium_planes) == pytest.approx([spacing], abs=1e-8)
    z = positions[:, 2]
    assert cell[2, 2] - (z.max() - z.min()) == pytest.approx(vacuum, abs=1e-8)
    assert (z.max() + z.min()) / 2 == pytest.approx(0.0, abs=1e-8)
    assert cell[:2] == pytest.approx(a * np.array([[1, 0, 0], [-0.5, np.sqrt(3) / 2, 0]]), abs=1e-12)
    # the X planes facing each other are offset by a/3 (close packed), never X on top of X
    height = layer_height(GEOMETRIES["I"], a)
    lower_top = np.flatnonzero((symbols == "I") & np.isclose(z, chromium_planes[0] + height))
    upper_bottom = (symbols == "I") & np.isclose(z, chromium_planes[1] - height)
    nearest = distances_from(cell, positions, lower_top[0])[upper_bottom].min()
    assert nearest == pytest.approx(np.hypot(spacing - 2 * height, a / 3), abs=1e-8)


def test_defaults_are_the_bulk_values():
    for halogen, geometry in GEOMETRIES.items():
        cell, symbols, positions = chromium_trihalide_layers(halogen, 2)
        assert cell[0, 0] == pytest.approx(geometry.lattice_constant, abs=1e-12)
        chromium_planes = np.unique(np.round(positions[np.array(symbols) == "Cr", 2], 8))
        assert np.diff(chromium_planes) == pytest.approx([geometry.interlayer_distance], abs=1e-8)
        assert cell[2, 2] - np.ptp(positions[:, 2]) == pytest.approx(20.0, abs=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"halogen": "F"}, r"Unknown halogen 'F': choose one of \['Br', 'Cl', 'I'\]"),
        ({"layers": 3}, r"layers=3 is not supported: build a monolayer \(1\) or a bilayer \(2\)"),
        ({"stacking": "AB"}, r"Unknown stacking 'AB': choose 'monoclinic'"),
        ({"vacuum": 5.0}, r"vacuum=5.0 Å is too thin: use at least 10.0 Å.*periodic image.*assume_isolated='2D'"),
        ({"lattice_constant": 0.0}, r"lattice_constant=0.0 Å must be positive"),
        ({"lattice_constant": -6.0}, r"lattice_constant=-6.0 Å must be positive"),
        ({"lattice_constant": 9.0}, r"lattice_constant=9.0 Å is too large for a Cr–I bond of 2.73 Å"),
        ({"layers": 2, "interlayer_distance": 2.5}, r"interlayer_distance=2.5 Å is not larger than the thickness"),
    ],
)
def test_bad_inputs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        chromium_trihalide_layers(**{"halogen": "I", **kwargs})


def test_calcfunction_structure_and_provenance(aiida_profile):
    halogen = orm.Str("I")
    structure = chromium_trihalide(halogen, orm.Int(2), orm.Str("rhombohedral"), orm.Float(20.0))
    assert isinstance(structure, orm.StructureData)
    assert structure.pbc == (True, True, False)
    assert set(structure.get_kind_names()) == {"Cr", "I"}
    cell, symbols, positions = chromium_trihalide_layers("I", 2, "rhombohedral", 20.0)
    assert np.array(structure.cell) == pytest.approx(cell, abs=1e-10)
    assert [site.kind_name for site in structure.sites] == symbols
    assert np.array([site.position for site in structure.sites]) == pytest.approx(positions, abs=1e-10)
    assert space_group_number(structure.cell, symbols, positions) == 147

    creator = structure.creator
    assert isinstance(creator, orm.CalcFunctionNode)
    assert creator.process_label == "chromium_trihalide"
    assert creator.inputs.halogen.uuid == halogen.uuid
    assert set(creator.base.links.get_incoming().all_link_labels()) == {"halogen", "layers", "stacking", "vacuum"}


def test_calcfunction_optional_inputs(aiida_profile):
    structure = chromium_trihalide(
        orm.Str("Cl"),
        orm.Int(2),
        orm.Str("monoclinic"),
        orm.Float(12.0),
        lattice_constant=orm.Float(6.1),
        interlayer_distance=orm.Float(6.0),
    )
    cell = np.array(structure.cell)
    assert cell[0, 0] == pytest.approx(6.1, abs=1e-12)
    z = np.array([site.position[2] for site in structure.sites])
    assert cell[2, 2] - np.ptp(z) == pytest.approx(12.0, abs=1e-8)
    chromium_planes = np.unique(np.round([s.position[2] for s in structure.sites if s.kind_name == "Cr"], 8))
    assert np.diff(chromium_planes) == pytest.approx([6.0], abs=1e-8)
    labels = set(structure.creator.base.links.get_incoming().all_link_labels())
    assert {"lattice_constant", "interlayer_distance"} <= labels


def test_calcfunction_refuses_bad_inputs(aiida_profile):
    with pytest.raises(ValueError, match=r"Unknown halogen 'At'"):
        chromium_trihalide(orm.Str("At"), orm.Int(1), orm.Str("monoclinic"), orm.Float(20.0))
    with pytest.raises(ValueError, match=r"vacuum=8.0 Å is too thin"):
        chromium_trihalide(orm.Str("I"), orm.Int(1), orm.Str("monoclinic"), orm.Float(8.0))


def test_with_vacuum_changes_c_and_keeps_the_slab(aiida_profile):
    slab = chromium_trihalide(orm.Str("Br"), orm.Int(2), orm.Str("monoclinic"), orm.Float(20.0))
    thinner = with_vacuum(slab, orm.Float(12.5))
    old, new = np.array(slab.cell), np.array(thinner.cell)
    old_positions = np.array([site.position for site in slab.sites])
    new_positions = np.array([site.position for site in thinner.sites])
    thickness = np.ptp(old_positions[:, 2])
    assert new[2] == pytest.approx([0.0, 0.0, thickness + 12.5], abs=1e-8)
    assert new[:2] == pytest.approx(old[:2], abs=1e-12)
    assert np.ptp(new_positions[:, 2]) == pytest.approx(thickness, abs=1e-8)
    assert new_positions[:, 2].min() + new_positions[:, 2].max() == pytest.approx(0.0, abs=1e-8)  # centred on z = 0
    pairs_old = np.linalg.norm(old_positions[:, None] - old_positions[None], axis=-1)
    pairs_new = np.linalg.norm(new_positions[:, None] - new_positions[None], axis=-1)
    assert pairs_new == pytest.approx(pairs_old, abs=1e-10)
    assert new_positions[:, :2] == pytest.approx(old_positions[:, :2], abs=1e-12)
    assert thinner.pbc == (True, True, False)
    assert [kind.get_raw() for kind in thinner.kinds] == [kind.get_raw() for kind in slab.kinds]
    assert [site.kind_name for site in thinner.sites] == [site.kind_name for site in slab.sites]
    assert space_group_number(new, [site.kind_name for site in thinner.sites], new_positions) == 12
    assert thinner.creator.process_label == "with_vacuum"
    assert thinner.creator.inputs.structure.uuid == slab.uuid


def test_with_vacuum_refuses_what_is_not_a_2d_slab(aiida_profile):
    a = 6.87
    in_plane = [[a, 0.0, 0.0], [-a / 2, a * np.sqrt(3) / 2, 0.0]]
    bulk = orm.StructureData(cell=[*in_plane, [0.0, 0.0, 20.0]], pbc=(True, True, True))
    bulk.append_atom(position=(0.0, 0.0, 10.0), symbols="Cr", name="Cr")
    with pytest.raises(ValueError, match=r"needs a 2D slab with pbc \(True, True, False\), got \(True, True, True\)"):
        with_vacuum(bulk, orm.Float(20.0))

    tilted = orm.StructureData(cell=[*in_plane, [1.0, 0.0, 20.0]], pbc=(True, True, False))
    tilted.append_atom(position=(0.0, 0.0, 10.0), symbols="Cr", name="Cr")
    with pytest.raises(ValueError, match=r"third cell vector \[1.0, 0.0, 20.0\] is not perpendicular"):
        with_vacuum(tilted, orm.Float(20.0))

    slab = chromium_trihalide(orm.Str("I"), orm.Int(1), orm.Str("monoclinic"), orm.Float(20.0))
    with pytest.raises(ValueError, match=r"vacuum=9.5 Å is too thin"):
        with_vacuum(slab, orm.Float(9.5))
