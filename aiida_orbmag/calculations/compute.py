"""``orbmag.compute``: chi and alpha of a ``TightBindingData`` as a job on a computer, with ``aiida-orbmag compute``.

The same inputs as the calcfunction ``orbmag.compute_susceptibility`` (``tight_binding``, ``parameters``) and the
same outputs, built by the calcfunction's own :func:`~aiida_orbmag.calcfunctions.susceptibility.output_nodes`; the
difference is where the k-point sum runs. The calcfunction runs inside a daemon worker, which it blocks while it
runs (minutes to hours on a dense mesh; see docs/topics/measured.md); this job runs the package's command line on
the code's computer, under its scheduler, with ``--processes`` worker processes, while the daemon worker only
polls it.

The code is the ``aiida-orbmag`` executable (aiida-orbmag installed where the job runs, as for any plugin's
post-processing code). The job copies the node's HDF5 model file as it is (``model.h5``), writes the chemical
potentials to ``mu.txt`` (absolute, eV: the Fermi energy of a ``relative_to_fermi_energy`` run is added here, as the
calcfunction adds it) and the symmetry operations to ``symmetry.json``, and runs
``aiida-orbmag compute model.h5 --mu-file mu.txt ... --json result.json``. Invalid parameters are refused at
submission with the calcfunction's own parser and messages.
"""

from __future__ import annotations

import json

from aiida import orm
from aiida.common import datastructures
from aiida.engine import CalcJob

from aiida_orbmag.calcfunctions.parameters import SusceptibilityParameters, parse_parameters
from aiida_orbmag.calcfunctions.susceptibility import EXIT_CODES
from aiida_orbmag.data import TightBindingData

MODEL_FILE = "model.h5"
MU_FILE = "mu.txt"
SYMMETRY_FILE = "symmetry.json"
RESULT_FILE = "result.json"
OUTPUT_FILE = "aiida.out"
ERROR_FILE = "aiida.err"


def validate_parameters(node, _):
    """The parameters of ``orbmag.compute_susceptibility``, checked by its own parser at submission."""
    try:
        parse_parameters(node.get_dict())
    except ValueError as error:
        return f"The parameters are invalid: {str(error).rstrip('.')}."
    return None


def validate_processes(node, _):
    if node.value < 1:
        return f"processes must be a positive number of worker processes, got {node.value}."
    return None


def validate_inputs(inputs, _):
    """The model against the parameters, as the calcfunction checks them (its exit messages 212 and 213)."""
    if "tight_binding" not in inputs or "parameters" not in inputs:
        return None
    try:
        settings = parse_parameters(inputs["parameters"].get_dict())
    except ValueError:
        return None  # reported by the port's own validator
    model = inputs["tight_binding"]
    if settings.relative_to_fermi_energy and model.fermi_energy is None:
        return EXIT_CODES.ERROR_FERMI_ENERGY_UNKNOWN.message
    if settings.conventions.position_operator == "full" and not model.has_position_matrix:
        return EXIT_CODES.ERROR_POSITION_MATRIX_MISSING.message
    return None


def compute_arguments(settings: SusceptibilityParameters, shift: float, processes: int) -> list[str]:
    """The ``aiida-orbmag compute`` arguments of validated ``settings`` (``shift``: eV added to the chemical
    potentials, the Fermi energy or 0); floats as their shortest round-trip text, so that the command computes with
    the very numbers the calcfunction would."""
    conventions = settings.conventions
    arguments = ["compute", MODEL_FILE, "--mu-file", MU_FILE]
    for temperature in settings.temperature:
        arguments += ["--temperature", repr(float(temperature))]
    arguments += ["--kmesh", str(settings.kmesh[0]), str(settings.kmesh[1])]
    arguments += ["--degeneracy-tol", repr(float(conventions.degeneracy_tol))]
    if conventions.position_operator == "diagonal":
        arguments.append("--tb-approximation")
    arguments += ["--bloch-convention", conventions.bloch_convention, "--metric-form", conventions.metric_form]
    arguments += ["--max-out-of-plane-hopping", repr(float(conventions.max_out_of_plane_hopping))]
    if settings.relaxation_time_fs is not None:
        arguments += ["--relaxation-time", repr(float(settings.relaxation_time_fs))]
    if settings.kmesh_error:
        arguments.append("--kmesh-error")
    arguments += ["--max-kpoints", str(settings.max_kpoints), "--processes", str(processes), "--no-progress"]
    if settings.symmetry_operations is not None:
        arguments += ["--symmetry", SYMMETRY_FILE]
    if settings.lambda_map_mu is not None:
        arguments += ["--lambda-map-mu", repr(float(settings.lambda_map_mu + shift))]
        arguments += ["--lambda-map-temperature", repr(float(settings.lambda_map_temperature))]
    arguments += ["--json", RESULT_FILE]
    return arguments


class ComputeCalculation(CalcJob):
    """chi (nm/Ohm) and alpha (nA nm/K) of a 2D tight-binding model by ``aiida-orbmag compute``, as a job."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input("tight_binding", valid_type=TightBindingData, help="The Wannier tight-binding model.")
        spec.input(
            "parameters",
            valid_type=orm.Dict,
            validator=validate_parameters,
            help="The parameters of orbmag.compute_susceptibility (mu grid (eV), temperatures (K), kmesh, ...; the "
            "table in aiida_orbmag.calcfunctions.parameters).",
        )
        spec.input(
            "processes",
            valid_type=orm.Int,
            default=lambda: orm.Int(1),
            validator=validate_processes,
            help="Worker processes of aiida-orbmag compute (--processes): ask the scheduler for as many cores.",
        )
        spec.inputs.validator = validate_inputs
        options = spec.inputs["metadata"]["options"]
        options["parser_name"].default = "orbmag.compute"
        options["output_filename"].default = OUTPUT_FILE
        options["resources"].default = {"num_machines": 1, "num_mpiprocs_per_machine": 1}
        options["withmpi"].default = False

        spec.output("chi", valid_type=orm.ArrayData, help="chi (nm/Ohm) and chi_reduced ((e²/hbar) Å) against mu, T.")
        spec.output("alpha", valid_type=orm.ArrayData, help="alpha (nA nm/K) and alpha_reduced against mu and T.")
        spec.output("summary", valid_type=orm.Dict, help="Largest |chi|, Mott residual, symmetry check, settings.")
        spec.output(
            "extrinsic", valid_type=orm.ArrayData, required=False, help="Relaxation-time chi and alpha, when asked."
        )
        spec.output("lambda_map", valid_type=orm.ArrayData, required=False, help="Lambda(k) ((e/hbar) Å³), when asked.")
        spec.default_output_node = "summary"

        spec.exit_code(
            301,
            "ERROR_OUTPUT_MISSING",
            message=f"The command aiida-orbmag compute wrote no {RESULT_FILE} and no error message: the job was "
            "stopped (wall time, memory?) or the executable is not aiida-orbmag; see the scheduler's output.",
        )
        spec.exit_code(
            302,
            "ERROR_OUTPUT_UNREADABLE",
            message=f"The {RESULT_FILE} written by aiida-orbmag compute cannot be read: {{reason}}.",
        )
        spec.exit_code(310, "ERROR_COMPUTE_FAILED", message="The command aiida-orbmag compute failed: {message}.")

    def prepare_for_submission(self, folder):
        settings = parse_parameters(self.inputs.parameters.get_dict())
        shift = self.inputs.tight_binding.fermi_energy if settings.relative_to_fermi_energy else 0.0  # eV
        with folder.open(MU_FILE, "w") as handle:
            handle.write("\n".join(repr(float(mu)) for mu in settings.mu + shift) + "\n")
        if settings.symmetry_operations is not None:
            with folder.open(SYMMETRY_FILE, "w") as handle:
                json.dump(self.inputs.parameters["symmetry_operations"], handle)
        arguments = compute_arguments(settings, shift, self.inputs.processes.value)

        codeinfo = datastructures.CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = arguments
        codeinfo.stdout_name = OUTPUT_FILE
        codeinfo.stderr_name = ERROR_FILE

        calcinfo = datastructures.CalcInfo()
        calcinfo.codes_info = [codeinfo]
        model = self.inputs.tight_binding
        calcinfo.local_copy_list = [(model.uuid, model.FILENAME, MODEL_FILE)]
        calcinfo.remote_copy_list = []
        calcinfo.retrieve_list = [RESULT_FILE, OUTPUT_FILE, ERROR_FILE]
        return calcinfo
