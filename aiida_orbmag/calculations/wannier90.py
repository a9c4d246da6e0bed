"""``orbmag.wannier90``: a CalcJob for ``wannier90.x`` (3.x), with the ports and exit codes of aiida-wannier90.

The plugin writes ``aiida.win`` itself: the unit cell and atoms (from ``structure``, Å), the projections, the
uniform k-point list and ``mp_grid`` (from ``kpoints``), the band path (from ``kpoint_path``) and ``write_tb``
(always on, so that every full run yields the tight-binding model with its position matrix). Those keys are refused
in ``parameters``. The overlap files (``aiida.amn``, ``aiida.mmn``, ``aiida.eig``, ...) come from exactly one of
``local_input_folder`` (copied) or ``remote_input_folder`` (symlinked); ``settings.postproc_setup`` runs
``wannier90.x -pp`` instead, which needs neither and returns ``nnkp_file``.
"""

from __future__ import annotations

from aiida import orm
from aiida.common import datastructures
from aiida.engine import CalcJob

from aiida_orbmag.calculations.wannier90_inputs import (
    INPUT_FILE,
    OPTIONAL_INPUT_FILES,
    OUTPUT_FILE,
    REQUIRED_INPUT_FILES,
    SEEDNAME,
    mp_grid_of,
    uniform_kpoint_list,
    validate_inputs,
    validate_kpoint_path,
    validate_kpoints,
    validate_parameters,
    validate_projections,
    validate_settings,
    win_value,
)
from aiida_orbmag.data import TightBindingData


class Wannier90Calculation(CalcJob):
    """Wannier90 (``wannier90.x``): maximally localised Wannier functions and the tight-binding model."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input("structure", valid_type=orm.StructureData, help="The crystal structure (cell and atoms, Å).")
        spec.input(
            "parameters",
            valid_type=orm.Dict,
            validator=validate_parameters,
            help="wannier90 keywords (num_wann, num_bands, dis_* windows in eV, num_iter, spinors, ...).",
        )
        spec.input(
            "kpoints",
            valid_type=orm.KpointsData,
            validator=validate_kpoints,
            help="The uniform k-point grid: the explicit list of the NSCF (its order is kept), or a mesh.",
        )
        spec.input(
            "kpoint_path",
            valid_type=orm.Dict,
            required=False,
            validator=validate_kpoint_path,
            help="Band path for interpolated bands: {'path': [[l1, l2], ...], 'point_coords': {label: fractional}}.",
        )
        spec.input(
            "projections",
            valid_type=orm.List,
            required=False,
            validator=validate_projections,
            help="Projection lines of the wannier90 projections block, e.g. ['Cr:d', 'I:p'].",
        )
        spec.input(
            "settings",
            valid_type=orm.Dict,
            required=False,
            validator=validate_settings,
            help="postproc_setup (bool: run -pp), additional_retrieve_list, additional_remote_symlink_list, "
            "additional_remote_copy_list.",
        )
        spec.input(
            "local_input_folder",
            valid_type=orm.FolderData,
            required=False,
            help="Folder with aiida.amn, aiida.mmn, aiida.eig (copied).",
        )
        spec.input(
            "remote_input_folder",
            valid_type=orm.RemoteData,
            required=False,
            help="Remote folder with aiida.amn, aiida.mmn, aiida.eig (symlinked), e.g. a pw2wannier90 run's.",
        )
        spec.inputs.validator = validate_inputs
        spec.inputs["metadata"]["options"]["parser_name"].default = "orbmag.wannier90"
        spec.inputs["metadata"]["options"]["input_filename"].default = INPUT_FILE
        spec.inputs["metadata"]["options"]["output_filename"].default = OUTPUT_FILE
        spec.inputs["metadata"]["options"]["resources"].default = {"num_machines": 1, "num_mpiprocs_per_machine": 1}
        spec.inputs["metadata"]["options"]["withmpi"].default = False

        spec.output("nnkp_file", valid_type=orm.SinglefileData, required=False, help="aiida.nnkp of a -pp run.")
        spec.output(
            "output_parameters",
            valid_type=orm.Dict,
            required=False,
            help="Spreads (Å²), centres (Å), Omega_I/D/OD/total (Å²), convergence and warnings.",
        )
        spec.output(
            "tight_binding",
            valid_type=TightBindingData,
            required=False,
            help="The tight-binding model (TightBindingData) parsed from aiida_tb.dat, with the MDRS shifts of "
            "aiida_wsvec.dat applied (as wannier90 interpolates).",
        )
        spec.output(
            "interpolated_bands", valid_type=orm.BandsData, required=False, help="Wannier-interpolated bands (eV)."
        )
        spec.default_output_node = "output_parameters"

        spec.exit_code(210, "ERROR_OUTPUT_STDOUT_MISSING", message="The output file aiida.wout was not retrieved.")
        spec.exit_code(211, "ERROR_NNKP_FILE_MISSING", message="The -pp run finished but aiida.nnkp was not retrieved.")
        spec.exit_code(
            350,
            "ERROR_OUTPUT_FILES_INVALID",
            message="The retrieved files cannot be parsed (corrupted or from another program): {error}.",
        )
        spec.exit_code(
            300,
            "ERROR_WERR_FILE_PRESENT",
            message="The wannier90.x run wrote an error file (.werr): {error}.",
        )
        spec.exit_code(
            400,
            "ERROR_EXITING_MESSAGE_IN_STDOUT",
            message="The wannier90.x run stopped with an error message in aiida.wout: {error}.",
        )
        spec.exit_code(
            401,
            "ERROR_BVECTORS",
            message="The wannier90.x run could not find b-vectors satisfying the completeness relation B1; raise "
            "kmesh_tol or search_shells, or give the cell to higher precision.",
        )
        spec.exit_code(
            402,
            "ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES",
            message="The outer disentanglement window contains fewer states than num_wann at some k-point; widen "
            "dis_win_min/dis_win_max or compute more bands.",
        )
        spec.exit_code(
            404,
            "ERROR_OUTPUT_STDOUT_INCOMPLETE",
            message="The output file aiida.wout is incomplete: wannier90.x was interrupted (wall time, memory, or a "
            "crash).",
        )
        spec.exit_code(
            405,
            "ERROR_TIGHT_BINDING_FILE_MISSING",
            message="The run finished but aiida_tb.dat was not retrieved, so no tight-binding model can be built.",
        )
        spec.exit_code(
            406,
            "ERROR_TIGHT_BINDING_FILE_INVALID",
            message="The file aiida_tb.dat cannot be read as a tight-binding model: {error}.",
        )
        spec.exit_code(
            407,
            "ERROR_DISENTANGLEMENT_NOT_CONVERGED",
            message="The disentanglement did not converge within dis_num_iter iterations; raise dis_num_iter.",
        )
        spec.exit_code(
            408,
            "ERROR_WANNIERISATION_NOT_CONVERGED",
            message="The spread minimisation did not meet its convergence criterion (conv_window) within num_iter "
            "iterations; raise num_iter.",
        )
        spec.exit_code(
            409,
            "ERROR_WSVEC_FILE_MISSING",
            message="The run finished but aiida_wsvec.dat was not retrieved, so the model cannot be interpolated as "
            "wannier90 does (MDRS shifts); wannier90.x 3.x writes it with write_tb.",
        )
        spec.exit_code(
            410,
            "ERROR_WSVEC_FILE_INVALID",
            message="The file aiida_wsvec.dat cannot be applied to the tight-binding model: {error}.",
        )
        spec.exit_code(
            411,
            "ERROR_BAND_FILES_INVALID",
            message="The interpolated band files cannot be used: {error}.",
        )

    def prepare_for_submission(self, folder):
        settings = self.inputs.settings.get_dict() if "settings" in self.inputs else {}
        postproc = bool(settings.get("postproc_setup", False))
        with folder.open(INPUT_FILE, "w") as handle:
            handle.write(self._win_text())

        calcinfo = datastructures.CalcInfo()
        calcinfo.local_copy_list = []
        calcinfo.remote_symlink_list = []
        calcinfo.remote_copy_list = []
        if "local_input_folder" in self.inputs and not postproc:
            local = self.inputs.local_input_folder
            for name in local.base.repository.list_object_names():
                if name in REQUIRED_INPUT_FILES + OPTIONAL_INPUT_FILES or name.startswith("UNK"):
                    calcinfo.local_copy_list.append((local.uuid, name, name))
        if "remote_input_folder" in self.inputs and not postproc:
            remote = self.inputs.remote_input_folder
            computer = remote.computer.uuid
            for name in REQUIRED_INPUT_FILES + OPTIONAL_INPUT_FILES:
                calcinfo.remote_symlink_list.append((computer, f"{remote.get_remote_path()}/{name}", name))
        for source in settings.get("additional_remote_symlink_list", []):
            calcinfo.remote_symlink_list.append(tuple(source))
        for source in settings.get("additional_remote_copy_list", []):
            calcinfo.remote_copy_list.append(tuple(source))

        codeinfo = datastructures.CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = ["-pp", SEEDNAME] if postproc else [SEEDNAME]
        calcinfo.codes_info = [codeinfo]
        retrieve = [OUTPUT_FILE, "*.werr"]
        if postproc:
            retrieve.append(f"{SEEDNAME}.nnkp")
        else:
            retrieve += [f"{SEEDNAME}_tb.dat", f"{SEEDNAME}_wsvec.dat", f"{SEEDNAME}_band.dat", f"{SEEDNAME}_band.kpt"]
            retrieve += [f"{SEEDNAME}_band.labelinfo.dat", f"{SEEDNAME}_centres.xyz"]
        calcinfo.retrieve_list = retrieve + list(settings.get("additional_retrieve_list", []))
        return calcinfo

    # ------------------------------------------------------------------------------------------- aiida.win
    def _win_text(self) -> str:
        lines = [f"! written by aiida-orbmag for {self.uuid}"]
        for key, value in sorted(self.inputs.parameters.get_dict().items()):
            lines.append(f"{key.lower()} = {win_value(value)}")
        lines.append("write_tb = .true.")
        if "kpoint_path" in self.inputs:
            lines.append("bands_plot = .true.")
        lines += self._structure_blocks()
        if "projections" in self.inputs:
            lines += ["", "begin projections", *self.inputs.projections.get_list(), "end projections"]
        lines += self._kpoint_blocks()
        return "\n".join(lines) + "\n"

    def _structure_blocks(self) -> list[str]:
        structure = self.inputs.structure
        lines = ["", "begin unit_cell_cart", "ang"]
        lines += ["{:18.10f} {:18.10f} {:18.10f}".format(*vector) for vector in structure.cell]
        lines += ["end unit_cell_cart", "", "begin atoms_cart", "ang"]
        lines += ["{} {:18.10f} {:18.10f} {:18.10f}".format(site.kind_name, *site.position) for site in structure.sites]
        return [*lines, "end atoms_cart"]

    def _kpoint_blocks(self) -> list[str]:
        kpoints = uniform_kpoint_list(self.inputs.kpoints)
        mesh = mp_grid_of(kpoints)
        lines = ["", "mp_grid = {} {} {}".format(*mesh), "", "begin kpoints"]
        lines += ["{:18.12f} {:18.12f} {:18.12f}".format(*k) for k in kpoints]
        lines.append("end kpoints")
        if "kpoint_path" in self.inputs:
            path = self.inputs.kpoint_path.get_dict()
            coords = path["point_coords"]
            lines += ["", "begin kpoint_path"]
            for start, stop in path["path"]:
                lines.append(
                    "{} {:.10f} {:.10f} {:.10f}  {} {:.10f} {:.10f} {:.10f}".format(
                        start, *coords[start], stop, *coords[stop]
                    )
                )
            lines.append("end kpoint_path")
        return lines
