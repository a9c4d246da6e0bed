"""``orbmag.wannierization``: spinor Wannier tight-binding model of a magnet with spin-orbit coupling, from DFT.

Steps: an optional noncollinear SCF (``PwBaseWorkChain``; or a converged one's ``parent_folder``), an NSCF on the full
uniform k-grid without symmetry, ``wannier90.x -pp``, ``pw2wannier90.x`` (aiida-quantumespresso), ``wannier90.x`` with
``write_tb`` (``orbmag.wannier90.base``), a pw.x ``bands`` run on the grid shifted by half a step (k-points the
model never saw), then a quality report of the model against both sets of DFT bands.

Projections are analytic (QE 6.7's pw2wannier90 has no SCDM for PAW and no ``atom_proj``; see
:mod:`aiida_orbmag.workflows.projections`); the band count and frozen window follow from the Fermi level and the NSCF
energies (:mod:`aiida_orbmag.physics.disentanglement`).
"""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, if_
from aiida_quantumespresso.calculations.pw2wannier90 import Pw2wannier90Calculation
from aiida_quantumespresso.common.types import SpinType
from aiida_quantumespresso.utils.mapping import prepare_process_inputs
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_orbmag.calcfunctions.wannier_quality import wannier_quality_report
from aiida_orbmag.calculations.wannier90 import Wannier90Calculation
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.physics.band_path import high_symmetry_path_2d
from aiida_orbmag.physics.crystal_symmetry import moment_vectors
from aiida_orbmag.physics.disentanglement import choose_windows
from aiida_orbmag.workflows.common import clean_remote_folders, failed_child
from aiida_orbmag.workflows.projections import ProjectionChoice
from aiida_orbmag.workflows.protocols.utils import (
    DEFAULT_PSEUDO_FAMILY,
    check_codes,
    default_input,
    job_options,
    kpoints_from_distance,
    protocol_filepath,
    pw_base_builder,
)
from aiida_orbmag.workflows.wannier90_base import Wannier90BaseWorkChain
from aiida_orbmag.workflows.wannierization_inputs import (
    grid_kpoints,
    half_step_shift,
    nscf_parameters,
    projection_choice,
    pw2wannier90_parameters,
    quality_messages,
    validate_inputs,
    validate_projection_orbitals,
    wannier90_parameters,
    window_choice,
    window_messages,
)


class WannierizationWorkChain(ProtocolMixin, WorkChain):
    """Spinor Wannier tight-binding model (with position matrix) of a noncollinear spin-orbit DFT ground state."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(
            PwBaseWorkChain,
            namespace="scf",
            exclude=("clean_workdir", "pw.structure"),
            namespace_options={"required": False, "populate_defaults": False, "help": "Inputs of the SCF step."},
        )
        spec.expose_inputs(
            PwBaseWorkChain,
            namespace="nscf",
            exclude=("clean_workdir", "pw.structure", "pw.parent_folder", "kpoints", "kpoints_distance"),
            namespace_options={"help": "Inputs of the NSCF step (calculation, nosym, noinv and nbnd are set here)."},
        )
        spec.expose_inputs(
            Pw2wannier90Calculation,
            namespace="pw2wannier90",
            exclude=("parent_folder", "nnkp_file"),
            namespace_options={"help": "Inputs of pw2wannier90.x (write_amn/write_mmn are switched on)."},
        )
        spec.expose_inputs(
            Wannier90BaseWorkChain,
            namespace="wannier90",
            exclude=(
                "clean_workdir",
                "wannier90.structure",
                "wannier90.kpoints",
                "wannier90.parameters",
                "wannier90.projections",
                "wannier90.settings",
                "wannier90.local_input_folder",
                "wannier90.remote_input_folder",
            ),
            namespace_options={"help": "Inputs of wannier90.x (code, options, band path)."},
        )
        spec.inputs["wannier90"]["wannier90"].validator = None  # the full inputs are only assembled in run_wannier90
        spec.input("structure", valid_type=orm.StructureData, help="The structure, with magnetic kinds (Å).")
        spec.input("parent_folder", valid_type=orm.RemoteData, required=False, help="A converged SCF's folder.")
        spec.input(
            "kpoints",
            valid_type=orm.KpointsData,
            help="Gamma-centred k-mesh of the NSCF and of wannier90 (full grid, no symmetry), e.g. 6x6x1.",
        )
        spec.input(
            "wannier90_parameters",
            valid_type=orm.Dict,
            required=False,
            help="Extra wannier90 keywords (num_iter, dis_num_iter, conv_window, ...) over the defaults of "
            "protocols/wannierization.yaml; the band counts, windows, spinors and fermi_energy are set here.",
        )
        spec.input("projections", valid_type=orm.List, required=False, help="Explicit projection lines, e.g. 'Cr:d'.")
        spec.input(
            "projection_orbitals",
            valid_type=orm.Dict,
            required=False,
            validator=validate_projection_orbitals,
            help="Orbital letters per element overriding the automatic choice, e.g. {'Cr': 'd', 'I': 'p'}.",
        )
        spec.input(
            "frozen_margin",
            valid_type=orm.Float,
            default=lambda: orm.Float(default_input("wannierization", "frozen_margin")),
            help="How far above the Fermi level the frozen window reaches when the band count allows (eV); default "
            "from protocols/wannierization.yaml.",
        )
        spec.input(
            "magnetic_moments",
            valid_type=orm.Dict,
            required=False,
            help="Moments per kind (mu_B: a number along z, or 3 numbers), for the PT check of the quality report.",
        )
        spec.input(
            "check_interpolation",
            valid_type=orm.Bool,
            default=lambda: orm.Bool(default_input("wannierization", "check_interpolation")),
            help="Also run pw.x on the k-grid shifted by half a step in-plane (k-points the model never saw) and "
            "report the interpolation error there.",
        )
        spec.input(
            "clean_workdir",
            valid_type=orm.Bool,
            default=lambda: orm.Bool(default_input("wannierization", "clean_workdir")),
            help="Clean the remote folders of all calculations when the work chain terminates.",
        )
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            if_(cls.should_run_scf)(cls.run_scf, cls.inspect_scf),
            cls.run_nscf,
            cls.inspect_nscf,
            cls.run_wannier90_pp,
            cls.inspect_wannier90_pp,
            cls.run_pw2wannier90,
            cls.inspect_pw2wannier90,
            cls.run_wannier90,
            cls.inspect_wannier90,
            if_(cls.should_check_interpolation)(cls.run_bands, cls.inspect_bands),
            cls.results,
        )

        spec.output("tight_binding", valid_type=TightBindingData, help="The Wannier model, with the Fermi level (eV).")
        spec.output("spreads", valid_type=orm.Dict, help="wannier90's output: spreads (Å²), centres (Å), convergence.")
        spec.output("quality_report", valid_type=orm.Dict, help="Band match, PT splitting, windows (eV).")
        spec.output("nscf_bands", valid_type=orm.BandsData, help="DFT bands of the NSCF grid (eV).")
        spec.output("check_bands", valid_type=orm.BandsData, required=False, help="DFT bands off the grid (eV).")
        spec.output("interpolated_bands", valid_type=orm.BandsData, required=False, help="Wannier bands on the path.")

        spec.exit_code(
            201,
            "ERROR_INVALID_PROJECTIONS",
            message="The projections cannot be chosen from the pseudopotentials: {error}.",
        )
        spec.exit_code(401, "ERROR_SUB_PROCESS_FAILED_SCF", message="The SCF PwBaseWorkChain failed.")
        spec.exit_code(402, "ERROR_SUB_PROCESS_FAILED_NSCF", message="The NSCF PwBaseWorkChain failed.")
        spec.exit_code(403, "ERROR_SUB_PROCESS_FAILED_WANNIER90_PP", message="The wannier90.x -pp run failed.")
        spec.exit_code(404, "ERROR_SUB_PROCESS_FAILED_PW2WANNIER90", message="The pw2wannier90.x run failed.")
        spec.exit_code(405, "ERROR_SUB_PROCESS_FAILED_WANNIER90", message="The wannier90.x restart work chain failed.")
        spec.exit_code(406, "ERROR_SUB_PROCESS_FAILED_BANDS", message="The off-grid pw.x bands run failed.")
        spec.exit_code(411, "ERROR_WINDOWS", message="No disentanglement window fits the NSCF bands: {error}.")
        spec.exit_code(412, "ERROR_NO_FERMI_ENERGY", message="The NSCF output reports no Fermi energy.")

    @classmethod
    def get_protocol_filepath(cls):
        return protocol_filepath("wannierization")

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes: dict,
        structure: orm.StructureData,
        magnetic_moments: dict,
        protocol: str | None = None,
        overrides: dict | None = None,
        pseudo_family: str = DEFAULT_PSEUDO_FAMILY,
        projection_orbitals: dict | None = None,
        options: dict | None = None,
    ):
        """A builder for ``structure`` with ``magnetic_moments`` (kind -> mu_B, or (m, angle1, angle2) in degrees)
        from the ``fast`` / ``balanced`` / ``stringent`` protocol; ``codes`` maps pw, pw2wannier90, wannier90 to
        codes; ``pseudo_family``: a fully relativistic family; ``options``: of the pw.x and pw2wannier90.x jobs."""
        check_codes(codes)
        inputs = cls.get_protocol_inputs(protocol, overrides)
        builder = cls.get_builder()
        builder.structure = structure
        nscf_exclude = ("kpoints", "kpoints_distance", "kpoints_force_parity", "pw.parent_folder")
        for name, exclude in (("scf", ()), ("nscf", nscf_exclude)):
            pw = pw_base_builder(
                codes["pw"],
                structure,
                protocol,
                inputs.get(name),
                pseudo_family,
                SpinType.SPIN_ORBIT,
                options,
                initial_magnetic_moments=magnetic_moments,
                exclude=exclude,
            )
            builder._update({name: pw._inputs(prune=True)})
        builder.pw2wannier90.code = codes["pw2wannier90"]
        builder.pw2wannier90.metadata.options = job_options(codes["pw2wannier90"], options)
        builder.wannier90.wannier90.code = codes["wannier90"]
        builder.wannier90.wannier90.metadata.options = job_options(codes["wannier90"], options)
        builder.kpoints = kpoints_from_distance(structure, inputs["kpoints_distance"])
        builder.magnetic_moments = orm.Dict(moment_vectors(magnetic_moments))
        builder.frozen_margin = orm.Float(inputs["frozen_margin"])
        builder.check_interpolation = orm.Bool(inputs["check_interpolation"])
        builder.clean_workdir = orm.Bool(inputs["clean_workdir"])
        builder.wannier90_parameters = orm.Dict(inputs["wannier90_parameters"])
        if inputs.get("band_path"):
            builder.wannier90.wannier90.kpoint_path = orm.Dict(high_symmetry_path_2d(np.array(structure.cell)))
        if projection_orbitals:
            builder.projection_orbitals = orm.Dict(projection_orbitals)
        return builder

    # ----------------------------------------------------------------------------------------------- steps
    def setup(self):
        self.ctx.current_folder = self.inputs.get("parent_folder")
        try:
            self.ctx.projections = projection_choice(self.inputs)
        except ValueError as error:
            return self.exit_codes.ERROR_INVALID_PROJECTIONS.format(error=str(error).rstrip("."))
        choice: ProjectionChoice = self.ctx.projections
        self.report(
            f"projections {choice.lines}: num_wann = {choice.num_wann}, {choice.num_excluded} bands excluded below"
        )
        return None

    def should_run_scf(self):
        return "scf" in self.inputs

    def run_scf(self):
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="scf"))
        inputs.pw.structure = self.inputs.structure
        inputs.metadata.call_link_label = "scf"
        running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
        self.report(f"launching PwBaseWorkChain<{running.pk}> (scf)")
        return ToContext(workchain_scf=running)

    def inspect_scf(self):
        failure = failed_child(self, "workchain_scf", "scf", self.exit_codes.ERROR_SUB_PROCESS_FAILED_SCF)
        if failure is None:
            self.ctx.current_folder = self.ctx.workchain_scf.outputs.remote_folder
        return failure

    def run_nscf(self):
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="nscf"))
        inputs.pw.structure = self.inputs.structure
        inputs.pw.parent_folder = self.ctx.current_folder
        parameters = nscf_parameters(inputs.pw.parameters.get_dict(), self.ctx.projections)
        inputs.pw.parameters = orm.Dict(parameters)
        inputs.kpoints = grid_kpoints(self.inputs.kpoints, self.inputs.structure)
        grid = inputs.kpoints.get_kpoints()
        inputs.metadata.call_link_label = "nscf"
        running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
        self.report(
            f"launching PwBaseWorkChain<{running.pk}> (nscf, {len(grid)} k-points, nbnd {parameters['SYSTEM']['nbnd']})"
        )
        return ToContext(workchain_nscf=running)

    def inspect_nscf(self):
        failure = failed_child(self, "workchain_nscf", "nscf", self.exit_codes.ERROR_SUB_PROCESS_FAILED_NSCF)
        if failure is not None:
            return failure
        workchain = self.ctx.workchain_nscf
        output = workchain.outputs.output_parameters.get_dict()
        fermi = output.get("fermi_energy", output.get("highest_occupied_level"))
        if fermi is None:
            return self.exit_codes.ERROR_NO_FERMI_ENERGY
        self.ctx.fermi_energy = float(fermi)
        choice: ProjectionChoice = self.ctx.projections
        try:
            self.ctx.windows = choose_windows(
                workchain.outputs.output_band.get_bands(),
                self.ctx.fermi_energy,
                choice.num_wann,
                choice.num_excluded,
                frozen_margin=self.inputs.frozen_margin.value,
            )
        except ValueError as error:
            return self.exit_codes.ERROR_WINDOWS.format(error=str(error).rstrip("."))
        for message in window_messages(self.ctx.windows):
            self.report(message)
        return None

    def _wannier90_parameters(self) -> dict:
        given = self.inputs.wannier90_parameters.get_dict() if "wannier90_parameters" in self.inputs else {}
        return wannier90_parameters(given, self.ctx.windows, self.ctx.fermi_energy)

    def _wannier90_common(self) -> dict:
        return {
            "structure": self.inputs.structure,
            "kpoints": self.ctx.workchain_nscf.inputs.kpoints,
            "parameters": orm.Dict(self._wannier90_parameters()),
            "projections": orm.List(self.ctx.projections.lines),
        }

    def run_wannier90_pp(self):
        exposed = self.exposed_inputs(Wannier90BaseWorkChain, namespace="wannier90")["wannier90"]
        inputs = AttributeDict({key: exposed[key] for key in ("code", "metadata") if key in exposed})
        inputs.update(self._wannier90_common())
        inputs.settings = orm.Dict({"postproc_setup": True})
        inputs.metadata = {**dict(inputs.get("metadata", {})), "call_link_label": "wannier90_pp"}
        running = self.submit(Wannier90Calculation, **inputs)
        self.report(f"launching Wannier90Calculation<{running.pk}> (-pp)")
        return ToContext(calculation_pp=running)

    def inspect_wannier90_pp(self):
        exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_WANNIER90_PP
        return failed_child(self, "calculation_pp", "wannier90 -pp", exit_code)

    def run_pw2wannier90(self):
        inputs = AttributeDict(self.exposed_inputs(Pw2wannier90Calculation, namespace="pw2wannier90"))
        inputs.parameters = orm.Dict(
            pw2wannier90_parameters(inputs.parameters.get_dict() if "parameters" in inputs else {})
        )
        inputs.parent_folder = self.ctx.workchain_nscf.outputs.remote_folder
        inputs.nnkp_file = self.ctx.calculation_pp.outputs.nnkp_file
        inputs.metadata.call_link_label = "pw2wannier90"
        running = self.submit(Pw2wannier90Calculation, **inputs)
        self.report(f"launching Pw2wannier90Calculation<{running.pk}>")
        return ToContext(calculation_pw2wannier90=running)

    def inspect_pw2wannier90(self):
        exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_PW2WANNIER90
        return failed_child(self, "calculation_pw2wannier90", "pw2wannier90", exit_code)

    def run_wannier90(self):
        inputs = AttributeDict(self.exposed_inputs(Wannier90BaseWorkChain, namespace="wannier90"))
        inputs.wannier90 = AttributeDict(inputs.wannier90)
        inputs.wannier90.update(self._wannier90_common())
        inputs.wannier90.remote_input_folder = self.ctx.calculation_pw2wannier90.outputs.remote_folder
        inputs.metadata.call_link_label = "wannier90"
        running = self.submit(Wannier90BaseWorkChain, **inputs)
        self.report(f"launching Wannier90BaseWorkChain<{running.pk}>")
        return ToContext(workchain_wannier90=running)

    def inspect_wannier90(self):
        exit_code = self.exit_codes.ERROR_SUB_PROCESS_FAILED_WANNIER90
        return failed_child(self, "workchain_wannier90", "wannier90", exit_code)

    def should_check_interpolation(self):
        return self.inputs.check_interpolation.value

    def run_bands(self):
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="nscf"))
        inputs.pw.structure = self.inputs.structure
        inputs.pw.parent_folder = self.ctx.current_folder
        parameters = self.ctx.workchain_nscf.inputs.pw.parameters.get_dict()
        inputs.pw.parameters = orm.Dict({**parameters, "CONTROL": {**parameters["CONTROL"], "calculation": "bands"}})
        shift = half_step_shift(self.inputs.kpoints)
        inputs.kpoints = grid_kpoints(self.inputs.kpoints, self.inputs.structure, shift)
        inputs.metadata.call_link_label = "bands"
        running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
        self.report(f"launching PwBaseWorkChain<{running.pk}> (bands on the grid shifted by {shift})")
        return ToContext(workchain_bands=running)

    def inspect_bands(self):
        return failed_child(self, "workchain_bands", "bands", self.exit_codes.ERROR_SUB_PROCESS_FAILED_BANDS)

    def results(self):
        choice = window_choice(self.ctx.windows, self.ctx.fermi_energy, self.ctx.projections)
        tight_binding = self.ctx.workchain_wannier90.outputs.tight_binding
        bands = self.ctx.workchain_nscf.outputs.output_band
        extra = {}
        if "magnetic_moments" in self.inputs:
            extra = {"structure": self.inputs.structure, "magnetic_moments": self.inputs.magnetic_moments}
        if "workchain_bands" in self.ctx:
            extra["check_bands"] = self.ctx.workchain_bands.outputs.output_band
            self.out("check_bands", extra["check_bands"])
        report = wannier_quality_report(tight_binding, bands, choice, **extra)
        for message in quality_messages(report):
            self.report(message)
        self.out("tight_binding", tight_binding)
        self.out("spreads", self.ctx.workchain_wannier90.outputs.output_parameters)
        self.out("quality_report", report)
        self.out("nscf_bands", bands)
        if "interpolated_bands" in self.ctx.workchain_wannier90.outputs:
            self.out("interpolated_bands", self.ctx.workchain_wannier90.outputs.interpolated_bands)

    def on_terminated(self):
        super().on_terminated()
        clean_remote_folders(self)
