"""``orbmag.susceptibility``: structure -> magnetic ground state -> spin-orbit Wannier model -> chi and alpha.

Steps: an optional ``PwRelaxWorkChain`` (2D: in-plane cell only); ``orbmag.magnetic_configuration`` (collinear
candidates, the lowest in energy wins); ``orbmag.wannierization`` of that ground state with spin-orbit coupling, the
moments along ``spin_axis``; the magnetic point group from spglib (``magnetic_point_group``); and
``orbmag.compute_susceptibility`` with that group, so that its summary reports the allowed components and the largest
computed forbidden one. A forbidden component that is not small next to the allowed ones is reported as a warning:
a sign of a poor Wannier model or of broken PT.

Two routes compute chi, with the same inputs and the same output nodes: the calcfunction, inside the daemon worker
(which it blocks while it runs), and, when a ``compute`` code is given and the k-point sum is larger than
``compute_calcjob_above`` (k-points x Wannier functions², the scale of its cost), the ``orbmag.compute`` CalcJob,
which runs ``aiida-orbmag compute`` on the code's computer.
"""

from __future__ import annotations

import copy

import numpy as np
from aiida import orm
from aiida.common import AttributeDict
from aiida.common.links import LinkType
from aiida.engine import ToContext, WorkChain, if_
from aiida_quantumespresso.utils.mapping import prepare_process_inputs
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_orbmag.calcfunctions.magnetic_symmetry import (
    PAIR_SPLITTING_FACTOR,
    PAIR_SPLITTING_KMESH,
    magnetic_point_group,
    parameters_with_symmetry,
)
from aiida_orbmag.calcfunctions.parameters import parse_parameters
from aiida_orbmag.calcfunctions.susceptibility import compute_susceptibility
from aiida_orbmag.calculations.compute import ComputeCalculation
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS
from aiida_orbmag.physics.crystal_symmetry import moment_vector, spin_orientation
from aiida_orbmag.workflows.common import clean_remote_folders, failed_child
from aiida_orbmag.workflows.magnetic_configuration import MagneticConfigurationWorkChain, pseudos_for_kinds
from aiida_orbmag.workflows.protocols.utils import (
    DEFAULT_COLLINEAR_PSEUDO_FAMILY,
    DEFAULT_PSEUDO_FAMILY,
    check_codes,
    default_input,
    placeholder_moments,
    protocol_filepath,
    pw_relax_builder,
)
from aiida_orbmag.workflows.wannierization import WannierizationWorkChain


def validate_spin_axis(node, _):
    axis = node.get_list()
    if len(axis) != 2 or not all(isinstance(a, int | float) for a in axis):
        return "The spin_axis must be [theta, phi] in degrees (theta from the layer normal z)."
    return None


def validate_susceptibility_parameters(node, _):
    """The parameters of ``orbmag.compute_susceptibility``, checked by its own parser at submission (a bad k-mesh
    is found before hours of DFT, not after)."""
    try:
        parse_parameters(node.get_dict())
    except ValueError as error:
        return f"The susceptibility_parameters are invalid: {str(error).rstrip('.')}."
    return None


def operations_outside(operations: list[dict], group: list[dict], atol: float = 1e-6) -> list[dict]:
    """The ``operations`` (``{"rotation": 2x2, "time_reversal": bool}``) that are not in ``group``."""

    def found(operation):
        return any(
            operation.get("time_reversal", False) == other["time_reversal"]
            and np.allclose(operation["rotation"], other["rotation"], atol=atol)
            for other in group
        )

    return [operation for operation in operations if not found(operation)]


def susceptibility_cost(kmesh, num_wann: int) -> int:
    """k-points x Wannier functions²: the scale of the k-point sum's cost (measured at 0.16, 1.3 and 16 ms per
    k-point for 8, 32 and 112 Wannier functions on 2 cores, docs/topics/performance.md: about 1.3 us per unit from
    32 on)."""
    return int(kmesh[0]) * int(kmesh[1]) * int(num_wann) ** 2


def from_collinear_density(namespace: dict, folder: orm.RemoteData) -> dict:
    """``namespace`` (a noncollinear PwBaseWorkChain's inputs) starting from the collinear density in ``folder``:
    pw.x reads it (``startingpot = 'file'``) and, with ``lforcet``, takes its magnetization along z and rotates it by
    the first kind's ``angle1``/``angle2``, which keeps a collinear order's signs."""
    namespace = dict(namespace)
    pw = namespace["pw"] = dict(namespace["pw"])
    parameters = copy.deepcopy(pw["parameters"].get_dict())
    parameters.setdefault("SYSTEM", {})["lforcet"] = True
    parameters.setdefault("ELECTRONS", {})["startingpot"] = "file"
    pw["parameters"] = orm.Dict(parameters)
    pw["parent_folder"] = folder
    return namespace


class SusceptibilityWorkChain(ProtocolMixin, WorkChain):
    """Orbital magnetoelectric (chi) and magnetothermal (alpha) susceptibilities of a 2D magnet, from its structure."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(
            PwRelaxWorkChain,
            namespace="relax",
            exclude=("clean_workdir", "structure"),
            namespace_options={"required": False, "populate_defaults": False, "help": "Optional relaxation."},
        )
        spec.expose_inputs(MagneticConfigurationWorkChain, namespace="magnetic", exclude=("structure",))
        spec.expose_inputs(
            WannierizationWorkChain,
            namespace="wannierization",
            exclude=("structure", "magnetic_moments", "clean_workdir", "parent_folder"),
        )
        spec.input("structure", valid_type=orm.StructureData, help="The 2D structure (Å), slab centred on z = 0.")
        spec.input(
            "spin_axis",
            valid_type=orm.List,
            default=lambda: orm.List(default_input("susceptibility", "spin_axis")),
            validator=validate_spin_axis,
            help="Direction of the moments with spin-orbit coupling: [theta, phi] in degrees (default from "
            "protocols/susceptibility.yaml: along z).",
        )
        spec.input(
            "spin_orbit_from_collinear",
            valid_type=orm.Bool,
            default=lambda: orm.Bool(default_input("susceptibility", "spin_orbit_from_collinear")),
            help="Start the spin-orbit SCF from the ground state's collinear density (pw.x lforcet with "
            "startingpot 'file', the collinear folder as parent), rotated onto spin_axis; the two steps need the "
            "same ecutrho. Default from protocols/susceptibility.yaml: from atomic densities.",
        )
        spec.input(
            "susceptibility_parameters",
            valid_type=orm.Dict,
            validator=validate_susceptibility_parameters,
            help="Parameters of orbmag.compute_susceptibility (mu grid, temperatures, kmesh; see its table). Without "
            "symmetry_operations the magnetic point group of the ground state is used; given ones are kept.",
        )
        spec.expose_inputs(
            ComputeCalculation,
            namespace="compute",
            exclude=("tight_binding", "parameters"),
            namespace_options={
                "required": False,
                "populate_defaults": False,
                "help": "The orbmag.compute CalcJob (the aiida-orbmag code, processes, options): chi runs as a job "
                "when the k-point sum is larger than compute_calcjob_above, else as the calcfunction.",
            },
        )
        spec.input(
            "compute_calcjob_above",
            valid_type=orm.Float,
            default=lambda: orm.Float(default_input("susceptibility", "compute_calcjob_above")),
            help="k-points x Wannier functions² above which chi runs as the orbmag.compute CalcJob (when the compute "
            "namespace has a code); at or below it, or without a code, as the calcfunction in the daemon worker.",
        )
        spec.input(
            "clean_workdir",
            valid_type=orm.Bool,
            default=lambda: orm.Bool(default_input("susceptibility", "clean_workdir")),
            help="Clean the remote folders of all calculations when the work chain terminates.",
        )
        spec.outline(
            cls.setup,
            if_(cls.should_run_relax)(cls.run_relax, cls.inspect_relax),
            cls.run_magnetic,
            cls.inspect_magnetic,
            cls.run_wannierization,
            cls.inspect_wannierization,
            cls.run_susceptibility,
            cls.inspect_susceptibility,
            cls.results,
        )
        spec.output("chi", valid_type=orm.ArrayData, help="chi (nm/Ohm) against mu and T.")
        spec.output("alpha", valid_type=orm.ArrayData, help="alpha (nA nm/K) against mu and T.")
        spec.output("summary", valid_type=orm.Dict, help="compute_susceptibility's summary (symmetry, Mott check).")
        spec.output("tight_binding", valid_type=TightBindingData, help="The spin-orbit Wannier model.")
        spec.output("magnetic_structure", valid_type=orm.StructureData, help="The magnetic ground state.")
        spec.output("magnetic_energies", valid_type=orm.Dict, help="Energies of the candidate orders.")
        spec.output("quality_report", valid_type=orm.Dict, help="Wannier model vs DFT bands (eV), PT splitting.")
        spec.output("symmetry", valid_type=orm.Dict, help="In-plane magnetic point group and allowed components.")
        spec.output("band_structure", valid_type=orm.BandsData, help="DFT bands of the NSCF grid (eV).")
        spec.output("interpolated_bands", valid_type=orm.BandsData, required=False, help="Wannier bands on a path.")
        spec.output(
            "extrinsic",
            valid_type=orm.ArrayData,
            required=False,
            help="Relaxation-time chi (nm/Ohm) and alpha (nA nm/K), when relaxation_time_fs is given.",
        )
        spec.output(
            "lambda_map",
            valid_type=orm.ArrayData,
            required=False,
            help="Lambda(k) ((e/hbar) Å³) on the k-mesh, when lambda_map_mu is given.",
        )
        spec.exit_code(401, "ERROR_SUB_PROCESS_FAILED_RELAX", message="The PwRelaxWorkChain failed.")
        spec.exit_code(402, "ERROR_SUB_PROCESS_FAILED_MAGNETIC", message="The magnetic configuration step failed.")
        spec.exit_code(403, "ERROR_SUB_PROCESS_FAILED_WANNIERIZATION", message="The Wannierization work chain failed.")
        spec.exit_code(
            404,
            "ERROR_SUB_PROCESS_FAILED_SUSCEPTIBILITY",
            message="The {process} calculation failed with exit status {status}: {message}.",
        )
        spec.exit_code(
            405,
            "ERROR_NO_COLLINEAR_FOLDER",
            message="The input spin_orbit_from_collinear is set, but the magnetic step returned no remote_folder of "
            "its ground state (its SCF did not finish ok, or that step predates this output): set it to False or "
            "rerun the step.",
        )

    @classmethod
    def get_protocol_filepath(cls):
        return protocol_filepath("susceptibility")

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes: dict,
        structure: orm.StructureData,
        protocol: str | None = None,
        overrides: dict | None = None,
        pseudo_family: str = DEFAULT_PSEUDO_FAMILY,
        collinear_pseudo_family: str = DEFAULT_COLLINEAR_PSEUDO_FAMILY,
        projection_orbitals: dict | None = None,
        options: dict | None = None,
        run_relax: bool = False,
    ):
        """Builder from the ``fast`` / ``balanced`` / ``stringent`` protocol; ``codes`` maps pw, pw2wannier90 and
        wannier90 to codes, and optionally ``compute`` to the ``aiida-orbmag`` code of the ``orbmag.compute`` CalcJob
        (chi as a job above ``compute_calcjob_above``). ``pseudo_family``: fully relativistic, for the spin-orbit steps;
        ``collinear_pseudo_family``: for the relaxation and the magnetic candidates. ``overrides`` of the children go
        under ``relax``, ``magnetic`` and ``wannierization``."""
        check_codes(codes)
        overrides = copy.deepcopy(overrides or {})
        children = {name: overrides.pop(name, None) or {} for name in ("relax", "magnetic", "wannierization")}
        inputs = cls.get_protocol_inputs(protocol, overrides)
        builder = cls.get_builder()
        builder.structure = structure

        magnetic = MagneticConfigurationWorkChain.get_builder_from_protocol(
            codes["pw"], structure, protocol, children["magnetic"], collinear_pseudo_family, options
        )
        magnetic.pop("structure", None)
        builder.magnetic._update(magnetic._inputs(prune=True))

        # the ground state is not known yet: these moments only fill the builder; the work chain sets the real ones
        wannierization = WannierizationWorkChain.get_builder_from_protocol(
            codes,
            structure,
            placeholder_moments(structure),
            protocol,
            children["wannierization"],
            pseudo_family,
            projection_orbitals,
            options,
        )
        for key in ("structure", "magnetic_moments", "clean_workdir"):
            wannierization.pop(key, None)
        builder.wannierization._update(wannierization._inputs(prune=True))

        if run_relax:
            relax = pw_relax_builder(
                codes["pw"], structure, protocol, children["relax"], collinear_pseudo_family, options
            )
            builder.relax._update(relax._inputs(prune=True))
        if codes.get("compute") is not None:
            builder.compute.code = codes["compute"]
            builder.compute.processes = orm.Int(inputs["compute"]["processes"])
            metadata = copy.deepcopy(inputs["compute"]["metadata"])
            # the job's own resources (one machine, `processes` cores), charged like every other job of the chain
            charged = ("account", "queue_name", "qos", "max_wallclock_seconds")
            metadata["options"].update({key: value for key, value in (options or {}).items() if key in charged})
            builder.compute.metadata = metadata
        builder.compute_calcjob_above = orm.Float(inputs["compute_calcjob_above"])
        builder.spin_axis = orm.List(inputs["spin_axis"])
        builder.susceptibility_parameters = orm.Dict(inputs["susceptibility_parameters"])
        builder.clean_workdir = orm.Bool(inputs["clean_workdir"])
        return builder

    def setup(self):
        self.ctx.current_structure = self.inputs.structure

    def should_run_relax(self):
        return "relax" in self.inputs

    def run_relax(self):
        inputs = AttributeDict(self.exposed_inputs(PwRelaxWorkChain, namespace="relax"))
        inputs.structure = self.ctx.current_structure
        inputs.metadata.call_link_label = "relax"
        running = self.submit(PwRelaxWorkChain, **prepare_process_inputs(PwRelaxWorkChain, inputs))
        self.report(f"launching PwRelaxWorkChain<{running.pk}>")
        return ToContext(workchain_relax=running)

    def inspect_relax(self):
        failure = failed_child(self, "workchain_relax", "relax", self.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX)
        if failure is not None:
            return failure
        self.ctx.current_structure = self.ctx.workchain_relax.outputs.output_structure
        return None

    def run_magnetic(self):
        inputs = AttributeDict(self.exposed_inputs(MagneticConfigurationWorkChain, namespace="magnetic"))
        inputs.structure = self.ctx.current_structure
        inputs.metadata.call_link_label = "magnetic_configuration"
        running = self.submit(MagneticConfigurationWorkChain, **inputs)
        self.report(f"launching MagneticConfigurationWorkChain<{running.pk}>")
        return ToContext(workchain_magnetic=running)

    def inspect_magnetic(self):
        exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_MAGNETIC
        return failed_child(self, "workchain_magnetic", "magnetic configuration", exit_code)

    def _spin_orbit_pw(self, namespace: dict, structure: orm.StructureData, moments: dict) -> dict:
        """``namespace`` (a PwBaseWorkChain's inputs) for the ground state's kinds, moments along ``spin_axis``."""
        namespace = dict(namespace)
        pw = namespace["pw"] = dict(namespace["pw"])
        pw["pseudos"] = pseudos_for_kinds(pw["pseudos"], structure)
        parameters = pw["parameters"].get_dict()
        system = parameters.setdefault("SYSTEM", {})
        system.update({"noncolin": True, "lspinorb": True})
        system.pop("nspin", None)
        magnetization, angle1, angle2 = {}, {}, {}
        for kind in structure.kinds:
            size, theta, phi = spin_orientation(moments.get(kind.name, 0.0), self.inputs.spin_axis.get_list())
            magnetization[kind.name] = min(1.0, size / pw["pseudos"][kind.name].z_valence)
            angle1[kind.name], angle2[kind.name] = theta, phi
        system.update({"starting_magnetization": magnetization, "angle1": angle1, "angle2": angle2})
        pw["parameters"] = orm.Dict(parameters)
        return namespace

    def run_wannierization(self):
        magnetic = self.ctx.workchain_magnetic.outputs
        structure, moments = magnetic.structure, magnetic.magnetic_moments.get_dict()
        inputs = AttributeDict(self.exposed_inputs(WannierizationWorkChain, namespace="wannierization"))
        for name in ("scf", "nscf"):
            if name in inputs:
                inputs[name] = self._spin_orbit_pw(dict(inputs[name]), structure, moments)
        if self.inputs.spin_orbit_from_collinear.value and "scf" in inputs:
            if "remote_folder" not in magnetic:
                return self.exit_codes.ERROR_NO_COLLINEAR_FOLDER
            inputs.scf = from_collinear_density(inputs.scf, magnetic.remote_folder)
            self.report(
                f"the spin-orbit SCF starts from the collinear density in RemoteData<{magnetic.remote_folder.pk}>"
            )
        axis = self.inputs.spin_axis.get_list()
        inputs.structure = structure
        inputs.magnetic_moments = orm.Dict({kind: moment_vector(m, axis) for kind, m in moments.items()})
        inputs.metadata.call_link_label = "wannierization"
        running = self.submit(WannierizationWorkChain, **inputs)
        self.report(f"launching WannierizationWorkChain<{running.pk}> for the ground state {structure.get_formula()}")
        return ToContext(workchain_wannierization=running)

    def inspect_wannierization(self):
        exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_WANNIERIZATION
        return failed_child(self, "workchain_wannierization", "wannierization", exit_code)

    def run_susceptibility(self):
        wannierization = self.ctx.workchain_wannierization
        group = magnetic_point_group(wannierization.inputs.structure, wannierization.inputs.magnetic_moments)
        self.ctx.symmetry = group
        given = self.inputs.susceptibility_parameters.get_dict().get("symmetry_operations")
        if given is not None:
            foreign = operations_outside(given, group["operations"])
            self.report(
                f"using the {len(given)} symmetry_operations given, not the "
                f"{group['num_operations']} of the ground state's magnetic point group"
                + (f"; warning: {len(foreign)} of them are not in that group: {foreign}" if foreign else "")
            )
        tight_binding = wannierization.outputs.tight_binding
        parameters = parameters_with_symmetry(
            self.inputs.susceptibility_parameters, group, tight_binding, wannierization.outputs.quality_report
        )
        if "degeneracy_tol" not in self.inputs.susceptibility_parameters.get_dict() and "degeneracy_tol" in parameters:
            n1, n2 = PAIR_SPLITTING_KMESH
            self.report(
                f"degeneracy_tol {parameters['degeneracy_tol']:.3g} eV, from the model's largest PT-pair splitting on "
                f"a {n1}x{n2} grid (the magnetic group has PT): max({DEFAULT_CONVENTIONS.degeneracy_tol:g} eV, "
                f"{PAIR_SPLITTING_FACTOR:g} x the splitting)"
            )
        if self.susceptibility_route(tight_binding) == "calcfunction":
            _, node = compute_susceptibility.run_get_node(
                tight_binding, parameters, metadata={"call_link_label": "susceptibility"}
            )
            self.ctx.calculation_susceptibility = node
            return None
        inputs = AttributeDict(self.exposed_inputs(ComputeCalculation, namespace="compute"))
        inputs.update(tight_binding=tight_binding, parameters=parameters)
        inputs.metadata.call_link_label = "susceptibility"
        running = self.submit(ComputeCalculation, **inputs)
        self.report(
            f"launching ComputeCalculation<{running.pk}> (aiida-orbmag compute on {inputs.code.computer.label})"
        )
        return ToContext(calculation_susceptibility=running)

    def susceptibility_route(self, tight_binding: TightBindingData) -> str:
        """``"calcjob"`` when a compute code is given and the k-point sum is above ``compute_calcjob_above``, else
        ``"calcfunction"``; reported either way."""
        kmesh = self.inputs.susceptibility_parameters["kmesh"]
        cost = susceptibility_cost(kmesh, tight_binding.num_wann)
        threshold = self.inputs.compute_calcjob_above.value
        has_code = "code" in self.inputs.get("compute", {})
        route = "calcjob" if has_code and cost > threshold else "calcfunction"
        why = "no compute code given" if not has_code else f"{'above' if cost > threshold else 'at or below'}"
        if has_code:
            why += f" compute_calcjob_above {threshold:.3g}"
        self.report(
            f"chi on {kmesh[0]}x{kmesh[1]} k-points x {tight_binding.num_wann}² Wannier functions = {cost:.3g}: "
            f"{'orbmag.compute CalcJob' if route == 'calcjob' else 'calcfunction in this worker'} ({why})"
        )
        return route

    def inspect_susceptibility(self):
        node = self.ctx.calculation_susceptibility
        if not node.is_finished_ok:
            message = (node.exit_message or "no message").rstrip(".")
            exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_SUSCEPTIBILITY
            process = node.process_label or "susceptibility"
            return exit_code.format(process=process, status=node.exit_status, message=message)
        outgoing = node.base.links.get_outgoing(link_type=LinkType.CREATE).all()
        results = {link.link_label: link.node for link in outgoing}
        self.ctx.susceptibility = results
        report = results["summary"]["symmetry"]
        allowed = report["intrinsic_allowed"]
        group = self.ctx.symmetry
        self.report(f"magnetic point group: {group['num_operations']} in-plane operations; chi allowed along {allowed}")
        if not report.get("intrinsic_forbidden_is_small", True):
            self.report(
                "warning: a symmetry-forbidden component of chi is not small "
                f"({report['intrinsic_largest_forbidden_nm_per_ohm']:.3e} nm/Ohm, a fraction "
                f"{report['intrinsic_forbidden_fraction']:.1e} of what symmetry-related k-points should cancel): the "
                "Wannier model breaks the magnetic symmetry (check the quality report: frozen-window match, PT-pair "
                "splitting, Wannier centres; maximal localisation can move functions off their atoms)"
            )
        return None

    def results(self):
        results = self.ctx.susceptibility
        wannierization = self.ctx.workchain_wannierization.outputs
        magnetic = self.ctx.workchain_magnetic.outputs
        for name in ("chi", "alpha", "summary", "extrinsic", "lambda_map"):
            if name in results:
                self.out(name, results[name])
        self.out("tight_binding", wannierization.tight_binding)
        self.out("quality_report", wannierization.quality_report)
        self.out("band_structure", wannierization.nscf_bands)
        if "interpolated_bands" in wannierization:
            self.out("interpolated_bands", wannierization.interpolated_bands)
        self.out("magnetic_structure", magnetic.structure)
        self.out("magnetic_energies", magnetic.energies)
        self.out("symmetry", self.ctx.symmetry)
        largest = results["summary"]["largest_chi"]["magnitude_nm_per_ohm"]
        self.report(f"chi and alpha computed; largest |chi| {largest:.3e} nm/Ohm")

    def on_terminated(self):
        super().on_terminated()
        clean_remote_folders(self)
