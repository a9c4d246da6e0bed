"""``orbmag.wannierization``: spinor Wannier tight-binding model of a magnet with spin-orbit coupling, from DFT.

Steps: an optional noncollinear SCF (``PwBaseWorkChain``; or a converged one's ``parent_folder``), an NSCF on the full
uniform k-grid without symmetry, ``wannier90.x -pp``, ``pw2wannier90.x`` (aiida-quantumespresso), ``wannier90.x`` with
``write_tb`` (``orbmag.wannier90.base``), a pw.x ``bands`` run on the grid shifted by half a step (k-points the
model never saw), then a quality report of the model against both sets of DFT bands.

Projections are analytic (QE 6.7's pw2wannier90 has no SCDM for PAW and no ``atom_proj``): per kind, the valence
orbitals of its pseudopotential, or the letters given in ``projection_orbitals`` per element (CrI3: Cr d, I p).
Semicore bands, and valence bands below the manifold that are not projected (I 5s), are excluded; the band count and
frozen window follow from the Fermi level and the NSCF energies (:mod:`aiida_orbmag.physics.disentanglement`).
"""

from __future__ import annotations

import pathlib

import numpy as np
from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, if_
from aiida_quantumespresso.calculations.pw2wannier90 import Pw2wannier90Calculation
from aiida_quantumespresso.utils.mapping import prepare_process_inputs
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_orbmag.calcfunctions.wannier_quality import wannier_quality_report
from aiida_orbmag.calculations.wannier90 import Wannier90Calculation, mp_grid_of, uniform_kpoint_list
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.physics.disentanglement import choose_windows
from aiida_orbmag.workflows.common import clean_remote_folders, failed_child
from aiida_orbmag.workflows.projections import ProjectionChoice, choose_projections
from aiida_orbmag.workflows.wannier90_base import Wannier90BaseWorkChain

#: wannier90 keywords the work chain starts from (overridden by ``wannier90_parameters``). dis_conv_tol is a relative
#: change of Omega_I: 1e-8 is far below any effect on band energies, while wannier90's default 1e-10 stalls on slabs
#: with vacuum (Ni monolayer on 6x6: not reached in 6400 iterations). ws_distance_tol (Å) decides when two replicas
#: of a hopping are equally distant in the MDRS interpolation: wannier90's default 1e-5 Å is finer than the symmetry
#: of Wannier centres from a DFT grid (1e-4 to 1e-2 Å), so symmetry-related hoppings were shared among different
#: replicas. Measured on the Ni(111) bilayer: the antiferromagnet's bands broke C2x and PT by 0.09 and 0.11 eV off the
#: grid with 1e-5 Å and kept them to 1e-5 eV with 1e-2 Å; the ferromagnet's broke C3 by 11 meV with 1e-2 Å and 2 meV
#: from 2e-2 Å on (the rest comes from d functions whose centres a rotation mixes; 0.2 eV without MDRS at all). On
#: monolayer CrI3 (3x3 grid, maximally localised) C3 is kept to 4e-3 eV at 1e-2 Å, 3e-3 eV at 5e-2 Å, 0.12 eV without
#: MDRS; wannier90.x 3.1 crashed (SIGSEGV) there at 0.2 Å, so the tolerance stays small.
WANNIER90_DEFAULTS = {"num_iter": 400, "dis_num_iter": 1000, "dis_conv_tol": 1e-8, "ws_distance_tol": 5e-2}
#: Bands computed by the NSCF beyond the Wannier manifold (at least this many, or a quarter of num_wann).
EXTRA_BANDS_MIN = 4


def validate_inputs(inputs, _):
    """One source of the SCF charge density; a noncollinear NSCF; projections given or choosable."""
    if ("scf" in inputs) == ("parent_folder" in inputs):
        return "Give exactly one of `scf` (run the SCF) or `parent_folder` (a converged noncollinear SCF's folder)."
    system = inputs["nscf"]["pw"]["parameters"].get_dict().get("SYSTEM", {})
    if not system.get("noncolin", False):
        return (
            "The Wannierisation builds a spinor model: set SYSTEM.noncolin = True (and lspinorb = True for spin-orbit "
            "coupling) in nscf.pw.parameters."
        )
    if "projections" in inputs and "projection_orbitals" in inputs:
        return "Give either `projections` (explicit lines) or `projection_orbitals` (letters per element), not both."
    return None


def validate_projection_orbitals(node, _):
    from aiida_orbmag.io.upf import parse_projection_letters

    try:
        for letters in node.get_dict().values():
            parse_projection_letters(letters)
    except (ValueError, AttributeError) as error:
        return f"projection_orbitals: {error}"
    return None


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
            help="Extra wannier90 keywords (num_iter, dis_num_iter, conv_window, ...); the band counts, windows, "
            "spinors and fermi_energy are set by the work chain.",
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
            default=lambda: orm.Float(1.0),
            help="How far above the Fermi level the frozen window reaches when the band count allows (eV).",
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
            default=lambda: orm.Bool(True),
            help="Also run pw.x on the k-grid shifted by half a step in-plane (k-points the model never saw) and "
            "report the interpolation error there.",
        )
        spec.input("clean_workdir", valid_type=orm.Bool, default=lambda: orm.Bool(False), help="Clean remote folders.")
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

        spec.exit_code(401, "ERROR_SUB_PROCESS_FAILED_SCF", message="The SCF PwBaseWorkChain failed.")
        spec.exit_code(402, "ERROR_SUB_PROCESS_FAILED_NSCF", message="The NSCF PwBaseWorkChain failed.")
        spec.exit_code(403, "ERROR_SUB_PROCESS_FAILED_WANNIER90_PP", message="wannier90.x -pp failed.")
        spec.exit_code(404, "ERROR_SUB_PROCESS_FAILED_PW2WANNIER90", message="pw2wannier90.x failed.")
        spec.exit_code(405, "ERROR_SUB_PROCESS_FAILED_WANNIER90", message="The wannier90.x restart work chain failed.")
        spec.exit_code(406, "ERROR_SUB_PROCESS_FAILED_BANDS", message="The off-grid pw.x bands run failed.")
        spec.exit_code(
            410, "ERROR_PROJECTIONS", message="The projections could not be chosen from the pseudopotentials: {error}"
        )
        spec.exit_code(411, "ERROR_WINDOWS", message="No disentanglement window fits the NSCF bands: {error}")
        spec.exit_code(412, "ERROR_NO_FERMI_ENERGY", message="The NSCF output reports no Fermi energy.")

    @classmethod
    def get_protocol_filepath(cls) -> pathlib.Path:
        return pathlib.Path(__file__).parent / "protocols" / "wannierization.yaml"

    @classmethod
    def get_builder_from_protocol(cls, codes, structure, magnetic_moments, protocol=None, overrides=None, **kwargs):
        """A builder for ``structure`` with ``magnetic_moments`` (kind -> mu_B, or (m, angle1, angle2) in degrees)
        from the ``fast`` / ``balanced`` / ``stringent`` protocol; ``codes`` maps pw, pw2wannier90, wannier90 to codes.
        Keyword arguments: ``pseudo_family`` (a fully relativistic family), ``projection_orbitals``, ``options``."""
        from aiida_orbmag.workflows.protocol_inputs import wannierization_inputs

        builder = cls.get_builder()
        builder._update(wannierization_inputs(cls, codes, structure, magnetic_moments, protocol, overrides, **kwargs))
        return builder

    # ----------------------------------------------------------------------------------------------- steps
    def setup(self):
        self.ctx.current_folder = self.inputs.get("parent_folder")
        nscf = self.exposed_inputs(PwBaseWorkChain, namespace="nscf")
        explicit = self.inputs.get("projections")
        per_element = self.inputs.get("projection_orbitals")
        try:
            self.ctx.projections = choose_projections(
                self.inputs.structure,
                nscf["pw"]["pseudos"],
                explicit=explicit.get_list() if explicit is not None else None,
                orbitals_per_element=per_element.get_dict() if per_element is not None else None,
                spinor=True,
            )
        except ValueError as error:
            return self.exit_codes.ERROR_PROJECTIONS.format(error=str(error))
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
        if failure is not None:
            return failure
        workchain = self.ctx.workchain_scf
        self.ctx.current_folder = workchain.outputs.remote_folder
        return None

    def _grid_kpoints(self, shift=(0.0, 0.0, 0.0)) -> orm.KpointsData:
        """The full Wannier grid (``kpoints``) as an explicit, equally weighted list in its own order, shifted by
        ``shift`` (fractional)."""
        grid = uniform_kpoint_list(self.inputs.kpoints) + np.asarray(shift, dtype=float)
        kpoints = orm.KpointsData()
        kpoints.set_cell_from_structure(self.inputs.structure)
        kpoints.set_kpoints(grid, weights=[1.0 / len(grid)] * len(grid))
        return kpoints

    def run_nscf(self):
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="nscf"))
        inputs.pw.structure = self.inputs.structure
        inputs.pw.parent_folder = self.ctx.current_folder
        parameters = inputs.pw.parameters.get_dict()
        parameters.setdefault("CONTROL", {})["calculation"] = "nscf"
        system = parameters.setdefault("SYSTEM", {})
        system.update({"nosym": True, "noinv": True})
        choice: ProjectionChoice = self.ctx.projections
        extra = max(EXTRA_BANDS_MIN, choice.num_wann // 4)
        system.setdefault("nbnd", max(choice.num_excluded + choice.num_wann, choice.num_electrons) + extra)
        parameters.setdefault("ELECTRONS", {})["diago_full_acc"] = True
        inputs.pw.parameters = orm.Dict(parameters)
        inputs.kpoints = self._grid_kpoints()
        grid = inputs.kpoints.get_kpoints()
        inputs.metadata.call_link_label = "nscf"
        running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
        self.report(f"launching PwBaseWorkChain<{running.pk}> (nscf, {len(grid)} k-points, nbnd {system['nbnd']})")
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
            return self.exit_codes.ERROR_WINDOWS.format(error=str(error))
        windows = self.ctx.windows
        if windows.gap_below_manifold is not None and windows.gap_below_manifold <= 0:
            self.report(f"warning: the excluded bands overlap the manifold by {-windows.gap_below_manifold:.3f} eV")
        if windows.frozen_window_lowered:
            self.report(f"warning: the frozen window was lowered to {windows.dis_froz_max:.3f} eV to fit num_wann")
        return None

    def _wannier90_parameters(self) -> dict:
        parameters = self.inputs.wannier90_parameters.get_dict() if "wannier90_parameters" in self.inputs else {}
        parameters = {**WANNIER90_DEFAULTS, **{key.lower(): value for key, value in parameters.items()}}
        parameters.update(self.ctx.windows.wannier90_parameters())
        parameters.update({"spinors": True, "fermi_energy": round(self.ctx.fermi_energy, 6)})
        return parameters

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
        parameters = inputs.parameters.get_dict() if "parameters" in inputs else {}
        inputpp = parameters.setdefault("INPUTPP", {})
        inputpp.update({"write_amn": True, "write_mmn": True})
        inputpp.setdefault("write_unk", False)
        inputs.parameters = orm.Dict(parameters)
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
        nscf = self.ctx.workchain_nscf
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="nscf"))
        inputs.pw.structure = self.inputs.structure
        inputs.pw.parent_folder = self.ctx.current_folder
        parameters = nscf.inputs.pw.parameters.get_dict()
        parameters["CONTROL"]["calculation"] = "bands"
        inputs.pw.parameters = orm.Dict(parameters)
        mesh = mp_grid_of(uniform_kpoint_list(self.inputs.kpoints))
        shift = [0.5 / n if n > 1 else 0.0 for n in mesh]
        inputs.kpoints = self._grid_kpoints(shift)
        inputs.metadata.call_link_label = "bands"
        running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
        self.report(f"launching PwBaseWorkChain<{running.pk}> (bands on the grid shifted by {shift})")
        return ToContext(workchain_bands=running)

    def inspect_bands(self):
        return failed_child(self, "workchain_bands", "bands", self.exit_codes.ERROR_SUB_PROCESS_FAILED_BANDS)

    def results(self):
        windows = self.ctx.windows
        window_choice = orm.Dict(
            {
                **windows.wannier90_parameters(),
                "frozen_window": list(windows.frozen_window),
                "gap_below_manifold_eV": windows.gap_below_manifold,
                "frozen_window_lowered": windows.frozen_window_lowered,
                "fermi_energy_eV": self.ctx.fermi_energy,
                "projections": self.ctx.projections.lines,
            }
        )
        tight_binding = self.ctx.workchain_wannier90.outputs.tight_binding
        bands = self.ctx.workchain_nscf.outputs.output_band
        extra = {}
        if "magnetic_moments" in self.inputs:
            extra = {"structure": self.inputs.structure, "magnetic_moments": self.inputs.magnetic_moments}
        if "workchain_bands" in self.ctx:
            extra["check_bands"] = self.ctx.workchain_bands.outputs.output_band
            self.out("check_bands", extra["check_bands"])
        report = wannier_quality_report(tight_binding, bands, window_choice, **extra)
        self.report(
            "the model reproduces the DFT states in the frozen window to "
            f"{report['max_frozen_window_deviation_eV']:.2e} eV on the grid, "
            f"{report.get('max_frozen_window_deviation_off_grid_eV', float('nan')):.2e} eV off it"
        )
        if report.get("model_keeps_symmetry") is False:
            self.report(
                "warning: the model breaks the magnetic symmetry: |E(k) - E(gk)| in the frozen window reaches "
                f"{report['max_symmetry_band_deviation_eV']:.2e} eV on the grid, "
                f"{report.get('max_symmetry_band_deviation_off_grid_eV', float('nan')):.2e} eV off it (tolerance "
                f"{report['symmetry_tolerance_eV']:.0e} eV; an operation moves a Wannier centre "
                f"{report['max_centre_mismatch_angstrom']:.3f} Å from any centre): a symmetry-forbidden chi will not "
                "cancel. Use projections that keep each function on its atom (dis_num_iter = 0, num_iter = 0)."
            )
        self.out("tight_binding", tight_binding)
        self.out("spreads", self.ctx.workchain_wannier90.outputs.output_parameters)
        self.out("quality_report", report)
        self.out("nscf_bands", bands)
        if "interpolated_bands" in self.ctx.workchain_wannier90.outputs:
            self.out("interpolated_bands", self.ctx.workchain_wannier90.outputs.interpolated_bands)

    def on_terminated(self):
        super().on_terminated()
        clean_remote_folders(self)
