"""``magnetic_point_group``: the in-plane magnetic point group of a 2D magnet, and what it allows of chi.

spglib's magnetic symmetry of the structure with its moments (the spin direction included: with spin-orbit coupling
the moments rotate with the lattice, :mod:`aiida_orbmag.physics.crystal_symmetry`) gives the operations; those that
keep the layer in its plane become the 2x2 in-plane operations of :mod:`aiida_orbmag.physics.symmetry`, in the form
``compute_susceptibility`` takes as its ``symmetry_operations`` parameter. The allowed components of chi_int and
chi_ext follow from them.

:func:`magnetic_symmetry` is the one adapter from a ``StructureData`` to the pure spglib helpers.
"""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_orbmag.physics import crystal_symmetry, symmetry
from aiida_orbmag.physics.bands import band_energies_on_grid, pt_pair_splitting
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS


def magnetic_symmetry(
    structure: orm.StructureData, moments: dict, symprec: float = crystal_symmetry.SYMPREC_ANGSTROM
) -> dict:
    """spglib's magnetic symmetry operations of ``structure`` with ``moments`` (kind -> mu_B along z, or a Cartesian
    3-vector): rotations on fractional coordinates, translations, time-reversal flags."""
    symbols = {kind.name: kind.symbol for kind in structure.kinds}
    cell = crystal_symmetry.magnetic_cell(
        structure.cell,
        [site.position for site in structure.sites],
        [site.kind_name for site in structure.sites],
        symbols,
        moments,
    )
    return crystal_symmetry.magnetic_symmetry(cell, symprec)


def in_plane_operations(
    structure: orm.StructureData, moments: dict, symprec: float = crystal_symmetry.SYMPREC_ANGSTROM
) -> list[dict]:
    """Distinct in-plane operations ``{"rotation": 2x2, "time_reversal": bool}`` of the magnetic group."""
    found = magnetic_symmetry(structure, moments, symprec)
    groups = crystal_symmetry.in_plane_operations(found, structure.cell)
    return [symmetry.operation_as_dict(group.operation) for group in groups]


@calcfunction
def magnetic_point_group(structure, magnetic_moments):
    """In-plane magnetic point group (Dict) of ``structure`` with ``magnetic_moments`` (kind -> 3 numbers, mu_B)."""
    operations = in_plane_operations(structure, magnetic_moments.get_dict())
    allowed = symmetry.allowed_response(symmetry.operations_from_dicts(operations))
    return orm.Dict({"operations": operations, "num_operations": len(operations), "allowed": allowed.as_dict()})


#: k-grid on which :func:`parameters_with_symmetry` measures a model's PT-pair splitting, and the factor between that
#: splitting and the degeneracy tolerance it sets (the splitting on the dense chi mesh can exceed the one on this grid)
PAIR_SPLITTING_KMESH, PAIR_SPLITTING_FACTOR = (24, 24), 2.0


def pt_pair_splitting_of_model(model, kmesh=PAIR_SPLITTING_KMESH) -> float:
    """Largest splitting (eV) of the band pairs (1, 2), (3, 4), ... of ``model`` on a uniform ``kmesh``."""
    return pt_pair_splitting(band_energies_on_grid(model, kmesh))


def degeneracy_tol_for_pt(splitting: float) -> float:
    """The degeneracy tolerance (eV) for a PT-symmetric model whose band pairs are split by up to ``splitting``: the
    pairs must be clusters (Xiao et al.'s degenerate-band formula), so the tolerance is above the splitting, and never
    below the package's default."""
    return max(DEFAULT_CONVENTIONS.degeneracy_tol, PAIR_SPLITTING_FACTOR * splitting)


@calcfunction
def parameters_with_symmetry(parameters, symmetry, tight_binding=None, quality_report=None):
    """The parameters (Dict) of ``orbmag.compute_susceptibility`` with the operations of ``symmetry`` (the Dict of
    :func:`magnetic_point_group`) as ``symmetry_operations``, unless the parameters already give some (then kept).

    With ``tight_binding`` and its Wannierization's ``quality_report``: when the magnetic group has PT
    (``magnetic_group_has_pt``, from the full 3D group: the in-plane operations cannot tell PT from C2zT) and the
    parameters give no ``degeneracy_tol``, it is set to :func:`degeneracy_tol_for_pt` of the model's largest pair
    splitting on a 24x24 grid. A DFT code that cannot impose PT (pw.x maps atoms only onto atoms of the same kind, and
    an antiferromagnet's two kinds differ by their moments) leaves the pairs split by 1e-4 to 1e-3 eV; with the
    default 1e-5 eV such pairs count as distinct bands, and their 1/(E_n - E_m) terms dominate chi
    (measured on bilayer CrI3: chi_x 9.5e-3 nm/Ohm in the gap at 1e-5 eV, docs/topics/measured.md).

    A calcfunction, so that the graph links chi through these parameters to the magnetic point group and the model."""
    merged = parameters.get_dict()
    if merged.get("symmetry_operations") is None:
        merged["symmetry_operations"] = symmetry["operations"]
    has_pt = quality_report is not None and quality_report.get_dict().get("magnetic_group_has_pt")
    if tight_binding is not None and has_pt and "degeneracy_tol" not in merged:
        merged["degeneracy_tol"] = degeneracy_tol_for_pt(pt_pair_splitting_of_model(tight_binding.get_model()))
    return orm.Dict(merged)
