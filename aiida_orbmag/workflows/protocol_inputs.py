"""Builder of ``orbmag.wannierization`` from a protocol: aiida-quantumespresso's PwBaseWorkChain protocols for the DFT
steps (spin-orbit, the pseudopotential family's cutoffs), the Wannier grid from a k-point spacing, and the rest from
``protocols/wannierization.yaml``.
"""

from __future__ import annotations

import copy

import numpy as np
from aiida import orm
from aiida_quantumespresso.common.types import SpinType
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_orbmag.physics.magnetic_orders import moment_vector

#: The fully relativistic family that ``aiida-orbmag pseudos install`` makes (SSSP has no spin-orbit files).
DEFAULT_PSEUDO_FAMILY = "orbmag/pslibrary-1.0.0/PBE/FR"


def moment_vectors(moments: dict) -> dict:
    """Kind -> moment as QE / aiida-quantumespresso take it (mu_B along z, or (m, angle1, angle2) in degrees, angle1
    from z) -> kind -> Cartesian vector (mu_B), as the quality report's PT check takes it."""
    vectors = {}
    for kind, moment in moments.items():
        if np.isscalar(moment):
            vectors[kind] = [0.0, 0.0, float(moment)]
            continue
        if len(moment) != 3:
            raise ValueError(f"The moment of kind {kind} must be a number or (m, angle1, angle2) in degrees.")
        vectors[kind] = moment_vector(float(moment[0]), moment[1:])
    return vectors


def _pw_namespace(code, structure, protocol, overrides, magnetic_moments, options) -> dict:
    builder = PwBaseWorkChain.get_builder_from_protocol(
        code,
        structure,
        protocol=protocol,
        overrides=overrides,
        spin_type=SpinType.SPIN_ORBIT,
        initial_magnetic_moments=magnetic_moments,
        options=options,
    )
    inputs = builder._inputs(prune=True)
    inputs["pw"].pop("structure", None)
    inputs.pop("clean_workdir", None)
    return inputs


def wannierization_inputs(
    process_class,
    codes: dict,
    structure: orm.StructureData,
    magnetic_moments: dict,
    protocol: str | None = None,
    overrides: dict | None = None,
    pseudo_family: str = DEFAULT_PSEUDO_FAMILY,
    projection_orbitals: dict | None = None,
    options: dict | None = None,
) -> dict:
    """Inputs of ``orbmag.wannierization`` for ``structure`` with ``magnetic_moments`` (kind -> mu_B, or (m, angle1,
    angle2)) and ``codes`` (``pw``, ``pw2wannier90``, ``wannier90``)."""
    missing = sorted({"pw", "pw2wannier90", "wannier90"} - set(codes))
    if missing:
        raise ValueError(f"codes lacks {missing}: give the pw, pw2wannier90 and wannier90 codes.")
    inputs = process_class.get_protocol_inputs(protocol, copy.deepcopy(overrides or {}))
    family = {"pseudo_family": pseudo_family}
    scf = _pw_namespace(
        codes["pw"], structure, protocol, recursive_merge(inputs.pop("scf", {}), family), magnetic_moments, options
    )
    nscf = _pw_namespace(
        codes["pw"], structure, protocol, recursive_merge(inputs.pop("nscf", {}), family), magnetic_moments, options
    )
    for key in ("kpoints", "kpoints_distance", "kpoints_force_parity"):
        nscf.pop(key, None)
    nscf["pw"].pop("parent_folder", None)
    kpoints = orm.KpointsData()
    kpoints.set_cell_from_structure(structure)
    kpoints.set_kpoints_mesh_from_density(inputs.pop("kpoints_distance"))
    serial = {"resources": {"num_machines": 1, "num_mpiprocs_per_machine": 1}, "withmpi": False}
    result = {
        "structure": structure,
        "scf": scf,
        "nscf": nscf,
        "pw2wannier90": {"code": codes["pw2wannier90"], "metadata": {"options": {**serial, **(options or {})}}},
        "wannier90": {"wannier90": {"code": codes["wannier90"], "metadata": {"options": serial}}},
        "kpoints": kpoints,
        "magnetic_moments": orm.Dict(moment_vectors(magnetic_moments)),
        "frozen_margin": orm.Float(inputs.pop("frozen_margin")),
        "check_interpolation": orm.Bool(inputs.pop("check_interpolation")),
        "clean_workdir": orm.Bool(inputs.pop("clean_workdir")),
        "wannier90_parameters": orm.Dict(inputs.pop("wannier90_parameters")),
    }
    if projection_orbitals:
        result["projection_orbitals"] = orm.Dict(projection_orbitals)
    return result


#: The scalar-relativistic twin of DEFAULT_PSEUDO_FAMILY, for the collinear steps (relaxation, magnetic candidates).
DEFAULT_COLLINEAR_PSEUDO_FAMILY = "orbmag/pslibrary-1.0.0/PBE/SR"


def susceptibility_inputs(
    process_class,
    codes: dict,
    structure: orm.StructureData,
    protocol: str | None = None,
    overrides: dict | None = None,
    pseudo_family: str = DEFAULT_PSEUDO_FAMILY,
    collinear_pseudo_family: str = DEFAULT_COLLINEAR_PSEUDO_FAMILY,
    projection_orbitals: dict | None = None,
    options: dict | None = None,
    run_relax: bool = False,
) -> dict:
    """Inputs of ``orbmag.susceptibility`` for ``structure`` with ``codes`` (pw, pw2wannier90, wannier90)."""
    from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

    from aiida_orbmag.physics.magnetic_orders import MAGNETIC_ELEMENTS
    from aiida_orbmag.workflows.wannierization import WannierizationWorkChain

    overrides = copy.deepcopy(overrides or {})
    inputs = process_class.get_protocol_inputs(protocol, {k: v for k, v in overrides.items() if k != "wannierization"})
    collinear = {"pseudo_family": collinear_pseudo_family}
    magnetic = inputs.pop("magnetic")
    scf = PwBaseWorkChain.get_builder_from_protocol(
        codes["pw"],
        structure,
        protocol=protocol,
        overrides=recursive_merge(magnetic.pop("scf", {}), collinear),
        spin_type=SpinType.COLLINEAR,
        options=options,
    )._inputs(prune=True)
    scf["pw"].pop("structure", None)
    scf.pop("clean_workdir", None)
    # the ground state is not known yet: these moments only fill the builder; the work chain sets the real ones
    placeholder = {kind.name: 3.0 if kind.symbol in MAGNETIC_ELEMENTS else 0.0 for kind in structure.kinds}
    wannierization = wannierization_inputs(
        WannierizationWorkChain,
        codes,
        structure,
        placeholder,
        protocol,
        overrides.get("wannierization"),
        pseudo_family,
        projection_orbitals,
        options,
    )
    for key in ("structure", "magnetic_moments", "clean_workdir"):
        wannierization.pop(key)
    result = {
        "structure": structure,
        "magnetic": {**{k: orm.to_aiida_type(v) for k, v in magnetic.items()}, "scf": scf},
        "wannierization": wannierization,
        "spin_axis": orm.List(inputs.pop("spin_axis")),
        "susceptibility_parameters": orm.Dict(inputs.pop("susceptibility_parameters")),
        "clean_workdir": orm.Bool(inputs.pop("clean_workdir")),
    }
    if run_relax:
        relax_overrides = {"base_relax": collinear, "base_init_relax": collinear, **inputs.pop("relax", {})}
        relax = PwRelaxWorkChain.get_builder_from_protocol(
            codes["pw"],
            structure,
            protocol=protocol,
            overrides=relax_overrides,
            spin_type=SpinType.COLLINEAR,
            options=options,
        )._inputs(prune=True)
        for key in ("structure", "clean_workdir"):
            relax.pop(key, None)
        result["relax"] = relax
    return result
