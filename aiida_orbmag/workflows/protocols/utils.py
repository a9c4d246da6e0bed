"""Helpers of the protocol builders, free of the work chains: the YAML files, the default pseudopotential families,
magnetic moments, the pw.x steps (aiida-quantumespresso's ``PwBaseWorkChain`` protocol) and the Wannier k-grid.

Every default of a work chain is written once, in ``default_inputs`` of its YAML file: the builders read it through
``ProtocolMixin``, and the input ports and run-time fallbacks of the work chains through :func:`default_input`.
"""

from __future__ import annotations

import copy
import functools
import pathlib

import yaml
from aiida import orm
from aiida_quantumespresso.common.types import SpinType
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_orbmag.physics.magnetic_orders import MAGNETIC_ELEMENTS

#: The fully relativistic family that ``aiida-orbmag pseudos install`` makes (SSSP has no spin-orbit files).
DEFAULT_PSEUDO_FAMILY = "orbmag/pslibrary-1.0.0/PBE/FR"
#: Its scalar-relativistic twin, for the collinear steps (relaxation, magnetic candidates).
DEFAULT_COLLINEAR_PSEUDO_FAMILY = "orbmag/pslibrary-1.0.0/PBE/SR"
#: Starting moment (mu_B) of magnetic elements where the ground state is not known yet (:func:`placeholder_moments`).
PLACEHOLDER_MOMENT = 3.0
#: The codes a Wannierisation runs.
WANNIER_CODES = ("pw", "pw2wannier90", "wannier90")
#: What every job of the chain gets unless the user's options say otherwise (aiida-quantumespresso's pw.x default).
JOB_DEFAULTS = {"max_wallclock_seconds": 43200, "withmpi": True}


def job_options(code, options: dict | None = None) -> dict:
    """``metadata.options`` of one job of the chain on ``code``: the user's ``options`` (resources, wall time, account,
    queue_name, withmpi, ...) over :data:`JOB_DEFAULTS`, as every pw.x job gets them, so that pw2wannier90.x runs on
    the same MPI ranks and the wannier90.x jobs are charged to the same account and queue.

    A code not linked against MPI (``code.with_mpi`` False, as ``aiida-orbmag codes setup`` marks Debian's
    wannier90.x) runs as one process without mpirun whatever ``options`` reserve; one whose MPI support is unknown
    (``with_mpi`` None) and is ``wannier90`` also runs serially, since a serial wannier90.x started under mpirun
    would run N copies writing the same files.
    """
    merged = recursive_merge(JOB_DEFAULTS, options or {})
    serial = code.with_mpi is False or (code.with_mpi is None and code.default_calc_job_plugin == "orbmag.wannier90")
    if serial:
        merged["resources"] = {**merged.get("resources", {}), "num_machines": 1, "num_mpiprocs_per_machine": 1}
        merged["withmpi"] = False
    return PwBaseWorkChain.set_default_resources(merged, code.computer.scheduler_type)


def protocol_filepath(name: str) -> pathlib.Path:
    """The YAML file of the protocols of work chain ``name`` (``wannierization``, ``susceptibility``, ...)."""
    return pathlib.Path(__file__).parent / f"{name}.yaml"


@functools.cache
def _default_inputs(name: str) -> dict:
    with protocol_filepath(name).open() as handle:
        return yaml.safe_load(handle)["default_inputs"]


def default_input(name: str, *keys: str):
    """A copy of ``default_inputs[keys[0]][keys[1]]...`` of the protocol file of work chain ``name``: the single
    home of that default, which input ports and run-time fallbacks read."""
    value = _default_inputs(name)
    for key in keys:
        value = value[key]
    return copy.deepcopy(value)


def check_codes(codes: dict, required=WANNIER_CODES) -> None:
    """ValueError naming the codes that ``codes`` (label -> code) lacks."""
    missing = sorted(set(required) - set(codes))
    if missing:
        raise ValueError(f"codes lacks {missing}: give the {', '.join(required)} codes.")


def placeholder_moments(structure: orm.StructureData) -> dict:
    """Kind -> starting moment (mu_B) for a builder made before the magnetic ground state is known: magnetic
    elements get :data:`PLACEHOLDER_MOMENT`, the rest none; the work chain replaces them with the ground state's."""
    return {kind.name: PLACEHOLDER_MOMENT if kind.symbol in MAGNETIC_ELEMENTS else 0.0 for kind in structure.kinds}


def pw_base_builder(
    code,
    structure: orm.StructureData,
    protocol: str | None,
    overrides: dict | None,
    pseudo_family: str,
    spin_type: SpinType,
    options: dict | None = None,
    initial_magnetic_moments: dict | None = None,
    exclude: tuple[str, ...] = (),
):
    """aiida-quantumespresso's ``PwBaseWorkChain`` builder for ``structure`` from ``protocol`` with ``pseudo_family``,
    without ``pw.structure`` and ``clean_workdir`` (the parent work chain sets them) and the ``exclude``d keys."""
    builder = PwBaseWorkChain.get_builder_from_protocol(
        code,
        structure,
        protocol=protocol,
        overrides=recursive_merge(overrides or {}, {"pseudo_family": pseudo_family}),
        spin_type=spin_type,
        initial_magnetic_moments=initial_magnetic_moments,
        options=options,
    )
    builder.pw.pop("structure", None)
    for key in ("clean_workdir", *exclude):
        namespace, _, name = key.rpartition(".")
        (builder[namespace] if namespace else builder).pop(name, None)
    return builder


def pw_relax_builder(code, structure, protocol, overrides, pseudo_family: str, options: dict | None = None):
    """aiida-quantumespresso's collinear ``PwRelaxWorkChain`` builder (2D: in-plane cell only) for ``structure``
    with ``pseudo_family`` in both of its PwBaseWorkChain steps, without ``structure`` and ``clean_workdir``.
    ``overrides`` replace whole namespaces (``base_relax``, ``base_init_relax``) as they are given."""
    family = {"pseudo_family": pseudo_family}
    builder = PwRelaxWorkChain.get_builder_from_protocol(
        code,
        structure,
        protocol=protocol,
        overrides={"base_relax": family, "base_init_relax": family, **(overrides or {})},
        spin_type=SpinType.COLLINEAR,
        options=options,
    )
    for key in ("structure", "clean_workdir"):
        builder.pop(key, None)
    return builder


def kpoints_from_distance(structure: orm.StructureData, distance: float) -> orm.KpointsData:
    """The Gamma-centred mesh of ``structure`` with at most ``distance`` (1/Å) between k-points."""
    kpoints = orm.KpointsData()
    kpoints.set_cell_from_structure(structure)
    kpoints.set_kpoints_mesh_from_density(distance)
    return kpoints
