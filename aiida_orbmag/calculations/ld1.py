"""``orbmag.ld1``: regenerate a pslibrary pseudopotential with ``ld1.x`` (QE's atomic code), fully or scalar
relativistic, and test its transferability with ld1.x's own all-electron vs pseudo total energies.

The generation input is the one the source UPF records in its ``<PP_INFO>`` (see :mod:`aiida_orbmag.io.ld1`), with
``rel`` set from ``relativistic``. The job runs ld1.x serially once per input file: ``aiida.in`` generates the
pseudopotential (pslibrary's file name, ``rel-`` added for ``'full'``) and tests it on the generation configuration;
``aiida_test<i>.in`` regenerates it and tests it on test configuration i (QE 6.7 allows one per run); their
pseudopotential files are not retrieved (their ``z_valence`` is that of the test configuration).

``augmentation='ultrasoft'`` generates the recipe as an ultrasoft pseudopotential (``lpaw=.false.``, pslibrary's
``rrkjus`` twin of its ``kjpaw`` file). ld1.x 6.7's test runs of such a generation are not run: their pseudo
eigenvalues stay those of the generation configuration (Cr and I, measured), so their energy differences mean
nothing; the generation configuration's eigenvalues are still compared, and the files are to be checked in pw.x
(docs/topics/measured.md).
"""

from __future__ import annotations

from aiida import orm
from aiida.common import datastructures
from aiida.engine import CalcJob
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.io import ld1

INPUT_FILE = "aiida.in"
OUTPUT_FILE = "aiida.out"
PREFIX = "aiida"


def run_prefix(index: int) -> str:
    """Prefix of the ld1.x run testing configuration ``index`` (its files: ``<prefix>.in``, ``<prefix>.out``)."""
    return f"{PREFIX}_test{index}"


def augmentation(inputs) -> str | None:
    """The ``augmentation`` input's value, or None (the recorded recipe's own)."""
    return inputs["augmentation"].value if "augmentation" in inputs else None


def output_filename(inputs) -> str:
    """Name of the regenerated UPF file for these inputs (a mapping or a node's ``inputs``)."""
    return ld1.regenerated_filename(inputs["source"].filename, inputs["relativistic"].value, augmentation(inputs))


def tested_configurations(inputs) -> list[str]:
    """The test configurations of a run: the ``test_configurations`` input, else the standard ones; none for an
    ultrasoft generation (module docstring)."""
    if augmentation(inputs) == "ultrasoft":
        return []
    if "test_configurations" in inputs:
        return list(inputs["test_configurations"].get_list())
    return ld1.standard_test_configurations(ld1.generation_input(inputs["source"].get_content()))


def validate_relativistic(node, _):
    if node.value not in ld1.RELATIVISTIC:
        return f"relativistic must be one of {sorted(ld1.RELATIVISTIC)}, got {node.value!r}."
    return None


def validate_test_configurations(node, _):
    configurations = node.get_list()
    if not configurations or not all(
        isinstance(c, str) and c.strip() and "'" not in c and c.isprintable() for c in configurations
    ):
        return "test_configurations must be a non-empty list of ld1.x valence strings, e.g. ['3s2 4s1 3p6 3d5']."
    return None


def validate_augmentation(node, _):
    if node.value not in ld1.AUGMENTATION:
        return f"augmentation must be one of {sorted(ld1.AUGMENTATION)}, got {node.value!r}."
    return None


def validate_test_tolerance(node, _):
    if not node.value > 0:
        return f"test_tolerance must be a positive energy (Ry), got {node.value}."
    return None


def validate_inputs(inputs, _):
    if "source" not in inputs or "relativistic" not in inputs:
        return None
    chosen = augmentation(inputs)
    if chosen == "ultrasoft" and ("test_configurations" in inputs or "test_tolerance" in inputs):
        return (
            "An ultrasoft generation is not tested by ld1.x (its test runs do not reach self-consistency in ld1.x "
            "6.7): leave out test_configurations and test_tolerance, and check the file in pw.x."
        )
    try:
        text = ld1.generation_input(inputs["source"].get_content())
        ld1.ld1_input(text, inputs["relativistic"].value, output_filename(inputs), augmentation=chosen)
        if "test_configurations" not in inputs and chosen != "ultrasoft":
            ld1.standard_test_configurations(text)
    except (ValueError, UnicodeDecodeError) as error:
        return f"The source file {inputs['source'].filename} cannot be regenerated: {error}"
    return None


class Ld1Calculation(CalcJob):
    """ld1.x (QE atomic code): a pslibrary pseudopotential regenerated fully or scalar relativistic, and tested."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input(
            "source",
            valid_type=orm.SinglefileData,
            help="A pslibrary UPF (SinglefileData or aiida-pseudo UpfData) that records its ld1.x generation input.",
        )
        spec.input(
            "relativistic",
            valid_type=orm.Str,
            validator=validate_relativistic,
            help="'full' (rel=2: spin-orbit, j-resolved projectors) or 'scalar' (rel=1).",
        )
        spec.input(
            "augmentation",
            valid_type=orm.Str,
            required=False,
            validator=validate_augmentation,
            help="'paw' or 'ultrasoft' (lpaw=.false.: pslibrary's rrkjus twin, untested by ld1.x); default: the "
            "recorded recipe's.",
        )
        spec.input(
            "test_configurations",
            valid_type=orm.List,
            required=False,
            validator=validate_test_configurations,
            help="Valence configurations to test (ld1.x strings such as '3s2 4s1 3p6 3d5'); default: the cation and "
            "the s -> open-shell promotion of the generation configuration.",
        )
        spec.input(
            "test_tolerance",
            valid_type=orm.Float,
            required=False,
            validator=validate_test_tolerance,
            help=f"Largest |ΔE_AE - ΔE_PS| accepted (Ry); default {ld1.TEST_TOLERANCE_RY}.",
        )
        spec.inputs.validator = validate_inputs
        options = spec.inputs["metadata"]["options"]
        options["parser_name"].default = "orbmag.ld1"
        options["input_filename"].default = INPUT_FILE
        options["output_filename"].default = OUTPUT_FILE
        options["resources"].default = {"num_machines": 1, "num_mpiprocs_per_machine": 1}
        options["withmpi"].default = False

        spec.output("pseudo", valid_type=UpfData, required=False, help="The regenerated UpfData.")
        spec.output(
            "output_parameters",
            valid_type=orm.Dict,
            required=False,
            help="Test energies (Ry) per configuration, max deviation, tolerance, suggested cutoffs (Ry), element, "
            "relativistic, z_valence, ld1.x version, warnings.",
        )
        spec.default_output_node = "output_parameters"

        spec.exit_code(301, "ERROR_OUTPUT_STDOUT_MISSING", message="The ld1.x output file aiida.out was not retrieved.")
        spec.exit_code(302, "ERROR_LD1_ERROR", message="The ld1.x run stopped with an error: {error}.")
        spec.exit_code(
            303,
            "ERROR_OUTPUT_STDOUT_INCOMPLETE",
            message="The output file aiida.out ends before ld1.x's test of the pseudopotential: ld1.x was interrupted.",
        )
        spec.exit_code(
            304,
            "ERROR_PSEUDO_FILE_MISSING",
            message="The ld1.x run finished but the pseudopotential file {filename} was not retrieved.",
        )
        spec.exit_code(305, "ERROR_PSEUDO_FILE_INVALID", message="The regenerated pseudopotential is invalid: {error}.")
        spec.exit_code(
            306,
            "ERROR_TEST_RUN_FAILED",
            message="The ld1.x run testing configuration '{configuration}' failed: {error}.",
        )
        spec.exit_code(
            400,
            "ERROR_TRANSFERABILITY_TEST_FAILED",
            message="The pseudopotential fails ld1.x's transferability test: |ΔE_AE - ΔE_PS| = {deviation:.2e} Ry "
            "for '{configuration}' exceeds the tolerance {tolerance:.1e} Ry. output_parameters has the numbers; the "
            "pseudopotential is not given as an output (it is in `retrieved`).",
        )

    def prepare_for_submission(self, folder):
        generation = ld1.generation_input(self.inputs.source.get_content())
        relativistic = self.inputs.relativistic.value
        upf_name = output_filename(self.inputs)
        chosen = augmentation(self.inputs)
        runs = [(PREFIX, ld1.ld1_input(generation, relativistic, upf_name, prefix=PREFIX, augmentation=chosen))]
        for index, configuration in enumerate(tested_configurations(self.inputs)):
            prefix = run_prefix(index)
            text = ld1.ld1_input(
                generation,
                relativistic,
                f"{prefix}.UPF",
                prefix=prefix,
                test_configuration=configuration,
                augmentation=chosen,
            )
            runs.append((prefix, text))

        calcinfo = datastructures.CalcInfo()
        calcinfo.codes_info = []
        for prefix, text in runs:
            with folder.open(f"{prefix}.in", "w") as handle:
                handle.write(text)
            codeinfo = datastructures.CodeInfo()
            codeinfo.code_uuid = self.inputs.code.uuid
            codeinfo.stdin_name = f"{prefix}.in"
            codeinfo.stdout_name = f"{prefix}.out"
            calcinfo.codes_info.append(codeinfo)
        calcinfo.codes_run_mode = datastructures.CodeRunMode.SERIAL
        calcinfo.local_copy_list = []
        calcinfo.remote_copy_list = []
        calcinfo.retrieve_list = [f"{prefix}.out" for prefix, _ in runs] + [upf_name, "CRASH"]
        return calcinfo
