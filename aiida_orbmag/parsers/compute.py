"""``orbmag.compute``: parser of ``ComputeCalculation``, the job running ``aiida-orbmag compute``.

The ``--json`` document is read back into the physics core's result (:mod:`aiida_orbmag.io.results`) and turned into
output nodes by the calcfunction's own :func:`~aiida_orbmag.calcfunctions.susceptibility.output_nodes`: the same
link labels, arrays and units as ``orbmag.compute_susceptibility``. Errors: the command's own one-line ``Error: ...``
(310), no document and no message (301), a document that cannot be read (302).
"""

from __future__ import annotations

import json

from aiida.parsers import Parser

from aiida_orbmag.calcfunctions.susceptibility import output_nodes
from aiida_orbmag.calculations.compute import ERROR_FILE, RESULT_FILE
from aiida_orbmag.io.results import read_susceptibility_document
from aiida_orbmag.parsers.text import retrieved_text

#: Longest error message kept in an exit message (the rest is in the retrieved aiida.err).
MAX_MESSAGE_CHARS = 500


class ComputeParser(Parser):
    """Turn the retrieved ``result.json`` into chi, alpha, summary (extrinsic, lambda_map), or an exit code."""

    def parse(self, **kwargs):
        names = set(self.retrieved.base.repository.list_object_names())
        if RESULT_FILE not in names:
            message = command_error(retrieved_text(self.retrieved, ERROR_FILE)) if ERROR_FILE in names else None
            if message:
                return self.exit_codes.ERROR_COMPUTE_FAILED.format(message=message)
            return self.exit_codes.ERROR_OUTPUT_MISSING
        try:
            document = json.loads(retrieved_text(self.retrieved, RESULT_FILE))
            if not isinstance(document, dict):
                raise ValueError(f"it holds a JSON {type(document).__name__}, not an object")
            result, lam, summary = read_susceptibility_document(document)
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            return self.exit_codes.ERROR_OUTPUT_UNREADABLE.format(reason=str(error).rstrip("."))
        for label, node in output_nodes(result, summary, lam).items():
            self.out(label, node)
        return None


def command_error(stderr: str) -> str | None:
    """The message of the command's last ``Error: ...`` line (click's one-line errors), else its last non-empty line
    (a traceback's exception), or None for an empty stderr."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("Error:").strip() for line in lines if line.startswith("Error:")]
    message = errors[-1] if errors else (lines[-1] if lines else "")
    message = message.rstrip(".")
    return message[:MAX_MESSAGE_CHARS] or None
