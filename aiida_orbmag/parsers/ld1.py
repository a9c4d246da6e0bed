"""``orbmag.ld1``: parser of the ld1.x runs made by ``Ld1Calculation``.

Errors first, so that a failed run never yields a pseudopotential: a missing ``aiida.out`` (301), an ld1.x error
message in it or a ``CRASH`` file (302), a generation run that stops before its test (303), a missing (304) or
unreadable / wrongly relativistic (305) UPF file, a failed test-configuration run (306). Then the regenerated UPF is
rewrapped (QE 6.7's pw.x rejects the long lines its ld1.x writes) and turned into an aiida-pseudo ``UpfData``.

Transferability (400): for each test configuration c, |ΔE_AE - ΔE_PS| with ΔE = E(c) - E(generation
configuration), against ``test_tolerance`` (default 2 mRy). A failing pseudopotential gets ``output_parameters``
(to show the numbers) but *no* ``pseudo`` output, so it cannot enter a family by accident; its file stays in
``retrieved``.
"""

from __future__ import annotations

import io

from aiida import orm
from aiida.parsers import Parser
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.calculations.ld1 import OUTPUT_FILE, augmentation, output_filename, run_prefix, tested_configurations
from aiida_orbmag.io import ld1
from aiida_orbmag.parsers.text import retrieved_text


class Ld1Parser(Parser):
    """Turn retrieved ld1.x runs into the regenerated ``UpfData`` and its test results, or an exit code."""

    def _text(self, name: str) -> str:
        return retrieved_text(self.retrieved, name)

    def parse(self, **kwargs):
        repository = self.retrieved.base.repository
        names = set(repository.list_object_names())
        if OUTPUT_FILE not in names:
            return self.exit_codes.ERROR_OUTPUT_STDOUT_MISSING
        crash = self._text("CRASH") if "CRASH" in names else ""
        reference = _parse(self._text(OUTPUT_FILE))
        if reference["error"]:
            return self.exit_codes.ERROR_LD1_ERROR.format(error=reference["error"].rstrip("."))
        if not reference["completed"]:
            if crash.strip():
                return self.exit_codes.ERROR_LD1_ERROR.format(error=" ".join(crash.split())[:300].rstrip("."))
            return self.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE
        upf_name = output_filename(self.node.inputs)
        if upf_name not in names:
            return self.exit_codes.ERROR_PSEUDO_FILE_MISSING.format(filename=upf_name)

        tests = {}
        for index, configuration in enumerate(tested_configurations(self.node.inputs)):
            name = f"{run_prefix(index)}.out"
            output = _parse(self._text(name)) if name in names else {"error": f"{name} missing"}
            if output.get("error") or not output.get("completed"):
                error = output.get("error") or f"{name} ends before the test"
                return self.exit_codes.ERROR_TEST_RUN_FAILED.format(
                    configuration=configuration, error=error.rstrip(".")
                )
            tests[configuration] = output

        text = ld1.rewrap_upf(self._text(upf_name))
        try:
            ld1.check_upf_complete(text)
            pseudo, header, cutoffs = self._pseudo(text, upf_name)
        except ValueError as error:
            return self.exit_codes.ERROR_PSEUDO_FILE_INVALID.format(
                error=" ".join(str(error).split())[:300].rstrip(".")
            )

        rows = ld1.energy_differences(reference, tests)
        tolerance = self.node.inputs.test_tolerance.value if "test_tolerance" in self.node.inputs else None
        tolerance = tolerance or ld1.TEST_TOLERANCE_RY
        worst = max(rows, key=lambda row: row["deviation_Ry"], default=None)  # none for an ultrasoft generation
        eigenvalue_errors = [o["eigenvalue_max_deviation_Ry"] for o in (reference, *tests.values())]
        parameters = {
            "element": header["element"],
            "relativistic": header["relativistic"],
            "has_so": _flag(header, "has_so"),
            "z_valence": float(header["z_valence"]),
            "filename": upf_name,
            "source_filename": self.node.inputs.source.filename,
            "ld1_version": reference["version"],
            "reference_etot_ae_Ry": reference["etot_ae_Ry"],
            "reference_etot_ps_Ry": reference["etot_ps_Ry"],
            "augmentation": "paw" if _flag(header, "is_paw") else "ultrasoft",
            "test_configurations": rows,
            "max_deviation_Ry": worst["deviation_Ry"] if worst else None,
            "tolerance_Ry": tolerance,
            "eigenvalue_max_deviation_Ry": max((e for e in eigenvalue_errors if e is not None), default=None),
            "suggested_cutoff_wfc_Ry": cutoffs[0],
            "suggested_cutoff_rho_Ry": cutoffs[1],
            "energy_units": "Ry",
            "warnings": sorted({w for o in (reference, *tests.values()) for w in o["warnings"]}),
        }
        self.out("output_parameters", orm.Dict(parameters))
        if worst is not None and worst["deviation_Ry"] > tolerance:
            return self.exit_codes.ERROR_TRANSFERABILITY_TEST_FAILED.format(
                deviation=worst["deviation_Ry"], configuration=worst["configuration"], tolerance=tolerance
            )
        self.out("pseudo", pseudo)
        return None

    def _pseudo(self, text: str, filename: str):
        """(UpfData, header attributes, suggested cutoffs) of the rewrapped UPF; ValueError if it is unusable."""
        header = ld1.upf_header(text)
        expected = self.node.inputs.relativistic.value
        if header.get("relativistic") != expected or _flag(header, "has_so") != (expected == "full"):
            raise ValueError(
                f"its header says relativistic={header.get('relativistic')!r}, has_so={header.get('has_so')!r} where "
                f"a {expected}-relativistic pseudopotential was asked for."
            )
        asked = augmentation(self.node.inputs)
        if asked is not None and _flag(header, "is_paw") != (asked == "paw"):
            raise ValueError(
                f"its header says is_paw={header.get('is_paw')!r} where a {asked} pseudopotential was asked for."
            )
        cutoffs = ld1.suggested_cutoffs(text)
        pseudo = UpfData(io.BytesIO(text.encode()), filename=filename)
        return pseudo, header, cutoffs


def _flag(header: dict[str, str], key: str) -> bool:
    """A boolean attribute of a UPF header (``true``, ``T``, ``.true.``); False when absent."""
    return header.get(key, "").lower() in ("true", "t", ".true.")


def _parse(text: str) -> dict:
    try:
        return ld1.parse_ld1_output(text)
    except ValueError as error:
        return {"error": str(error), "completed": False, "warnings": []}
