"""CrX3 (X = Cl, Br, I) monolayers and bilayers, built by calcfunctions so that each structure is in the provenance.

:func:`chromium_trihalide_layers` is the geometry alone (numpy, no database). :func:`chromium_trihalide` and
:func:`with_vacuum` wrap it as calcfunctions returning ``StructureData`` with pbc (True, True, False): the 2D convention
for which aiida-quantumespresso sets ``assume_isolated='2D'``. All lengths are in Å.

Slabs are centred on the plane z = 0: pw.x's 2D Coulomb cutoff truncates at |z| = c/2 around the origin, and
wannier90 finds positions along the normal from the phase of overlaps at b = 2 pi / c, which is ambiguous (the
branch cut of the logarithm) for functions centred at z = c/2.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from aiida import orm
from aiida.engine import calcfunction


@dataclasses.dataclass(frozen=True)
class ChromiumTrihalideGeometry:
    """Bulk geometry of one CrX3 (Å): in-plane lattice constant, Cr–X bond length, Cr-plane to Cr-plane spacing."""

    lattice_constant: float
    bond_length: float
    interlayer_distance: float


# Bulk experimental values, rounded (the review McGuire, Crystals 7, 121 (2017) tabulates all three):
#   CrCl3: Morosin & Narath, J. Chem. Phys. 40, 1958 (1964): a = 5.94, Cr–Cl = 2.38, spacing c sin(beta) = 5.8 (C2/m).
#   CrBr3: Handy & Gregory, J. Am. Chem. Soc. 74, 891 (1952): a = 6.26-6.30, Cr–Br = 2.54, spacing c/3 = 6.1.
#   CrI3: McGuire et al., Chem. Mater. 27, 612 (2015): a = 6.87, Cr–I = 2.73, spacing c/3 = 6.6 (R-3, 90 K).
GEOMETRIES = {
    "Cl": ChromiumTrihalideGeometry(5.94, 2.38, 5.8),
    "Br": ChromiumTrihalideGeometry(6.30, 2.54, 6.1),
    "I": ChromiumTrihalideGeometry(6.87, 2.73, 6.6),
}

# One layer in fractional in-plane units of a1, a2. The Cr honeycomb fills two of the three sites of the triangular
# net A = {(0,0), (1/3,2/3), (2/3,1/3)} (spacing a/√3; (0,0) is the empty hexagon centre). The X planes lie over the
# other two nets, B at +h and C at -h, so each Cr has three X above and three below at in-plane distance a/3 and the
# octahedra share edges: X at (x, 0, ±z) and equivalents of P-31m with x = 1/3. The height follows from the bond,
# h² = d² - (a/3)². The experimental a and d are not those of ideal 90° octahedra (which need a = √6 d): these come
# out slightly trigonally flattened, with Cr–X–Cr = 92.2° (Cl), 91.4° (Br), 93.2° (I).
CHROMIUM_SITES = ((1 / 3, 2 / 3), (2 / 3, 1 / 3))
HALOGEN_SITES_ABOVE = ((1 / 3, 0.0), (0.0, 1 / 3), (2 / 3, 2 / 3))  # net B
HALOGEN_SITES_BELOW = ((2 / 3, 0.0), (0.0, 2 / 3), (1 / 3, 1 / 3))  # net C

# In-plane shift of the upper layer (fractional units of a1, a2), checked with spglib on the slab in its vacuum cell.
# (1/3, 0) maps the nets A -> B -> C -> A: the X planes run C B | A C, cubic close packing, the AlCl3-type C2/m stacking
# of bulk CrX3 (layers offset by a/3 along the monoclinic a axis); the bilayer is C2/m (No. 12): 2-fold axis and
# mirror, no 3-fold axis. (2/3, 1/3) is a vector of net A: the X planes run C B | C B, hexagonal close packing, the
# BiI3-type R-3 stacking (rhombohedral centring (2/3, 1/3, 1/3)); the bilayer keeps the 3-fold axis through the Cr
# stacked on Cr, point group -3, P-3 (No. 147). (2/3, 0) is also C2/m but stacks X on top of X across the gap, and
# (1/3, 2/3) is the mirror image of (2/3, 1/3).
STACKING_SHIFTS = {"monoclinic": (1 / 3, 0.0), "rhombohedral": (2 / 3, 1 / 3)}

# Below this the slab couples to its periodic image across the boundary. pw.x's 2D Coulomb cutoff
# (assume_isolated='2D') cuts the interaction at c/2 and its documentation asks for c of at least twice the thickness
# of the layer, electrons included: the default vacuum of 20 Å satisfies that for these bilayers too.
MINIMUM_VACUUM = 10.0


def chromium_trihalide_layers(
    halogen: str,
    layers: int = 1,
    stacking: str = "monoclinic",
    vacuum: float = 20.0,
    lattice_constant: float | None = None,
    interlayer_distance: float | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """CrX3 monolayer (P-31m) or bilayer slab: cell (3, 3) in Å, chemical symbols, Cartesian positions (N, 3) in Å.

    The cell is a1 = a (1, 0, 0), a2 = a (-1/2, √3/2, 0), a3 = (0, 0, c) with c = thickness + ``vacuum``, where the
    thickness runs from the lowest to the highest X plane; the slab is centred on z = 0. Cr atoms come first.

    :param halogen: ``"Cl"``, ``"Br"`` or ``"I"``.
    :param layers: 1 (monolayer) or 2 (bilayer).
    :param stacking: ``"monoclinic"`` (C2/m, bulk high-temperature stacking) or ``"rhombohedral"`` (R-3, bulk
        low-temperature stacking); used for the bilayer only.
    :param vacuum: empty space between the slab and its periodic image along z (Å), at least 10.
    :param lattice_constant: in-plane lattice constant a (Å); default the bulk value in :data:`GEOMETRIES`. The Cr–X
        bond length stays at its bulk value and the X planes move in or out to keep it.
    :param interlayer_distance: Cr plane to Cr plane (Å) in the bilayer; default the bulk value.
    """
    a, distance, height = checked_geometry(halogen, layers, stacking, vacuum, lattice_constant, interlayer_distance)
    motif = [("Cr", site, 0.0) for site in CHROMIUM_SITES]
    motif += [(halogen, site, height) for site in HALOGEN_SITES_ABOVE]
    motif += [(halogen, site, -height) for site in HALOGEN_SITES_BELOW]
    shift = np.array(STACKING_SHIFTS[stacking])
    atoms = [
        (symbol, (np.array(site) + layer * shift) % 1.0, z + layer * distance)
        for layer in range(layers)
        for symbol, site, z in motif
    ]
    atoms.sort(key=lambda atom: atom[0] != "Cr")  # stable: Cr first, layer by layer

    thickness = (layers - 1) * distance + 2 * height
    c = thickness + vacuum
    in_plane = a * np.array([[1.0, 0.0], [-0.5, np.sqrt(3) / 2]])
    cell = np.array([[*in_plane[0], 0.0], [*in_plane[1], 0.0], [0.0, 0.0, c]])
    fractional = np.array([site for _, site, _ in atoms])
    heights = np.array([z for _, _, z in atoms]) - (layers - 1) * distance / 2
    positions = np.column_stack([fractional @ in_plane, heights])
    return cell, [symbol for symbol, _, _ in atoms], positions


def checked_geometry(halogen, layers, stacking, vacuum, lattice_constant, interlayer_distance):
    """Lattice constant, Cr-plane spacing and X-plane height h (Å) of a valid request; ``ValueError`` otherwise."""
    if halogen not in GEOMETRIES:
        raise ValueError(f"Unknown halogen {halogen!r}: choose one of {sorted(GEOMETRIES)} (CrCl3, CrBr3, CrI3).")
    if layers not in (1, 2):
        raise ValueError(f"layers={layers!r} is not supported: build a monolayer (1) or a bilayer (2).")
    if stacking not in STACKING_SHIFTS:
        raise ValueError(
            f"Unknown stacking {stacking!r}: choose 'monoclinic' (C2/m, the high-temperature bulk stacking) or "
            "'rhombohedral' (R-3, the low-temperature one)."
        )
    check_vacuum(vacuum)
    bulk = GEOMETRIES[halogen]
    a = bulk.lattice_constant if lattice_constant is None else float(lattice_constant)
    distance = bulk.interlayer_distance if interlayer_distance is None else float(interlayer_distance)
    bond = bulk.bond_length
    if not a > 0:
        raise ValueError(f"lattice_constant={a} Å must be positive: it is the in-plane hexagonal lattice constant.")
    if a / 3 >= bond:
        raise ValueError(
            f"lattice_constant={a} Å is too large for a Cr–{halogen} bond of {bond} Å: the {halogen} atoms would have "
            f"to lie in the Cr plane. Use a < {3 * bond:.2f} Å (bulk: {bulk.lattice_constant} Å)."
        )
    height = np.sqrt(bond**2 - (a / 3) ** 2)
    if layers == 2 and not distance > 2 * height:
        raise ValueError(
            f"interlayer_distance={distance} Å is not larger than the thickness {2 * height:.2f} Å of one Cr{halogen}3 "
            f"layer, so the {halogen} planes of the two layers would overlap. Use about {bulk.interlayer_distance} Å "
            "(bulk)."
        )
    return a, distance, height


def check_vacuum(vacuum: float) -> None:
    """Raise ``ValueError`` when ``vacuum`` (Å) is below :data:`MINIMUM_VACUUM`."""
    if not vacuum >= MINIMUM_VACUUM:
        raise ValueError(
            f"vacuum={vacuum} Å is too thin: use at least {MINIMUM_VACUUM} Å (20 Å is a safe default). With less, the "
            "slab couples to its periodic image across the boundary, and pw.x's assume_isolated='2D' needs the images "
            "separated by vacuum."
        )


@calcfunction
def chromium_trihalide(
    halogen: orm.Str,
    layers: orm.Int,
    stacking: orm.Str,
    vacuum: orm.Float,
    lattice_constant: orm.Float | None = None,
    interlayer_distance: orm.Float | None = None,
) -> orm.StructureData:
    """CrX3 monolayer or bilayer slab (lengths in Å), pbc (True, True, False), kinds named by element.

    The geometry is that of :func:`chromium_trihalide_layers`; invalid inputs raise ``ValueError``.

    :param halogen: the halogen X: 'Cl', 'Br' or 'I'.
    :param layers: number of CrX3 layers, 1 or 2.
    :param stacking: bilayer stacking, 'monoclinic' (C2/m) or 'rhombohedral' (R-3); ignored for one layer.
    :param vacuum: vacuum between the slab and its periodic image along z, in Å (at least 10).
    :param lattice_constant: in-plane lattice constant a in Å; default the bulk experimental value.
    :param interlayer_distance: Cr plane to Cr plane distance of the bilayer in Å; default the bulk value.
    """
    cell, symbols, positions = chromium_trihalide_layers(
        halogen.value,
        layers=layers.value,
        stacking=stacking.value,
        vacuum=vacuum.value,
        lattice_constant=None if lattice_constant is None else lattice_constant.value,
        interlayer_distance=None if interlayer_distance is None else interlayer_distance.value,
    )
    structure = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
    for symbol, position in zip(symbols, positions, strict=True):
        structure.append_atom(position=position.tolist(), symbols=symbol, name=symbol)
    return structure


@calcfunction
def with_vacuum(structure: orm.StructureData, vacuum: orm.Float) -> orm.StructureData:
    """The 2D slab ``structure`` re-centred on z = 0 along its normal, with ``vacuum`` Å of empty space above it.

    The third cell vector becomes (slab thickness + vacuum) along the slab normal; the in-plane cell vectors, the
    kinds, the in-plane coordinates and hence all interatomic distances within the slab are kept.

    :param structure: a 2D slab with pbc (True, True, False) and its third cell vector perpendicular to the first two.
    :param vacuum: vacuum between the slab and its periodic image, in Å (at least 10).
    """
    if tuple(structure.pbc) != (True, True, False):
        raise ValueError(
            f"with_vacuum needs a 2D slab with pbc (True, True, False), got {tuple(structure.pbc)}: put the layer in "
            "the plane of the first two cell vectors and set its pbc to (True, True, False)."
        )
    cell = np.array(structure.cell)
    normal = cell[2] / np.linalg.norm(cell[2])
    if np.abs(cell[:2] @ normal).max() > 1e-8 * np.linalg.norm(cell[:2], axis=1).max():
        raise ValueError(
            f"The third cell vector {cell[2].tolist()} is not perpendicular to the first two, so the vacuum along it "
            "is not well defined: give a cell whose third vector is along the slab normal."
        )
    check_vacuum(vacuum.value)

    positions = np.array([site.position for site in structure.sites])
    heights = positions @ normal
    thickness = heights.max() - heights.min()
    c = thickness + vacuum.value
    positions -= np.outer(np.full(len(heights), (heights.max() + heights.min()) / 2), normal)
    sites = [
        orm.Site(kind_name=site.kind_name, position=position.tolist())
        for site, position in zip(structure.sites, positions, strict=True)
    ]
    return orm.StructureData(
        cell=[*cell[:2].tolist(), (c * normal).tolist()], pbc=(True, True, False), kinds=structure.kinds, sites=sites
    )
