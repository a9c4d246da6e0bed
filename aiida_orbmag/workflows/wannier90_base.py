"""``orbmag.wannier90.base``: run ``orbmag.wannier90`` and recover from the failures that a changed input can fix.

One process handler per recoverable failure of ``wannier90.x``; each reports what failed and what it changed:

- b-vectors not found (401): raise ``kmesh_tol`` (a cell or k-list given to few digits breaks the B1 condition);
- too few states in the outer window (402): widen ``dis_win_max`` / ``dis_win_min``, or drop them when they are
  already wide; when there is no window to widen, the NSCF must compute more bands, which only the caller can do;
- disentanglement (407) or spread minimisation (408) not converged: double ``dis_num_iter`` / ``num_iter``; past
  ``dis_num_iter_loosen`` disentanglement iterations, loosen ``dis_conv_tol`` tenfold instead.
"""

from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import BaseRestartWorkChain, ProcessHandlerReport, process_handler, while_

from aiida_orbmag.calculations.wannier90 import Wannier90Calculation

#: Tunable factors of the handlers (never mutate: handlers read them).
DEFAULTS = {
    "kmesh_tol": 1e-6,  # wannier90's default
    "kmesh_tol_factor": 10.0,
    "kmesh_tol_max": 1e-3,
    "dis_window_step_eV": 2.0,
    "dis_num_iter": 200,  # wannier90's default
    "num_iter": 100,  # wannier90's default
    "iteration_factor": 2,
    # past this many disentanglement iterations, loosen dis_conv_tol (relative change of Omega_I) tenfold instead
    "dis_num_iter_loosen": 4000,
    "dis_conv_tol": 1e-10,  # wannier90's default
    "dis_conv_tol_max": 1e-7,
    "max_iterations_cap": 20000,
}


class Wannier90BaseWorkChain(BaseRestartWorkChain):
    """Run ``wannier90.x`` through ``orbmag.wannier90``, restarting with adjusted inputs on recoverable failures."""

    _process_class = Wannier90Calculation

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(Wannier90Calculation, namespace="wannier90")
        spec.outline(
            cls.setup,
            while_(cls.should_run_process)(cls.run_process, cls.inspect_process),
            cls.results,
        )
        spec.expose_outputs(Wannier90Calculation)
        spec.exit_code(
            310,
            "ERROR_KMESH_TOL_EXHAUSTED",
            message="The b-vectors were still not found with kmesh_tol = {kmesh_tol}; check the cell and k-points.",
        )
        spec.exit_code(
            311,
            "ERROR_NEEDS_MORE_BANDS",
            message="The outer window already holds every computed band and still has fewer than num_wann states: "
            "the NSCF must compute more bands (nbnd).",
        )
        spec.exit_code(
            312,
            "ERROR_ITERATIONS_EXHAUSTED",
            message="The keyword {key} reached {value} and the minimisation still did not converge; check the "
            "projections and windows.",
        )

    def setup(self):
        super().setup()
        self.ctx.inputs = AttributeDict(self.exposed_inputs(Wannier90Calculation, "wannier90"))

    def report_error_handled(self, node, action: str) -> None:
        """Say which failure of which calculation was handled, and how."""
        self.report(f"{node.process_label}<{node.pk}> failed with exit status {node.exit_status}: {node.exit_message}")
        self.report(f"Action taken: {action}")

    def _parameters(self) -> dict:
        return {key.lower(): value for key, value in self.ctx.inputs.parameters.get_dict().items()}

    def _set_parameters(self, parameters: dict) -> None:
        self.ctx.inputs.parameters = orm.Dict(parameters)

    @process_handler(priority=600, exit_codes=[Wannier90Calculation.exit_codes.ERROR_BVECTORS])
    def handle_bvectors(self, node):
        """b-vectors not found: raise kmesh_tol by ``kmesh_tol_factor``, up to ``kmesh_tol_max``."""
        parameters = self._parameters()
        current = float(parameters.get("kmesh_tol", DEFAULTS["kmesh_tol"]))
        new = current * DEFAULTS["kmesh_tol_factor"]
        if new > DEFAULTS["kmesh_tol_max"] * (1 + 1e-9):
            self.report_error_handled(node, f"kmesh_tol = {current:g} is the largest allowed; aborting.")
            return ProcessHandlerReport(True, self.exit_codes.ERROR_KMESH_TOL_EXHAUSTED.format(kmesh_tol=current))
        parameters["kmesh_tol"] = new
        self._set_parameters(parameters)
        self.report_error_handled(node, f"raised kmesh_tol from {current:g} to {new:g} and restarting.")
        return ProcessHandlerReport(True)

    @process_handler(priority=500, exit_codes=[Wannier90Calculation.exit_codes.ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES])
    def handle_not_enough_states(self, node):
        """Too few states in the outer window: widen it by ``dis_window_step_eV`` on each side that was set."""
        parameters = self._parameters()
        changes = []
        step = DEFAULTS["dis_window_step_eV"]
        if "dis_win_max" in parameters:
            parameters["dis_win_max"] = float(parameters["dis_win_max"]) + step
            changes.append(f"dis_win_max to {parameters['dis_win_max']:g} eV")
        if "dis_win_min" in parameters:
            parameters["dis_win_min"] = float(parameters["dis_win_min"]) - step
            changes.append(f"dis_win_min to {parameters['dis_win_min']:g} eV")
        if not changes:
            self.report_error_handled(node, "no outer window is set, so every band is already in it; aborting.")
            return ProcessHandlerReport(True, self.exit_codes.ERROR_NEEDS_MORE_BANDS)
        self._set_parameters(parameters)
        self.report_error_handled(node, f"widened the outer window: {', '.join(changes)}; restarting.")
        return ProcessHandlerReport(True)

    @process_handler(priority=400, exit_codes=[Wannier90Calculation.exit_codes.ERROR_DISENTANGLEMENT_NOT_CONVERGED])
    def handle_disentanglement_not_converged(self, node):
        """Disentanglement not converged: multiply ``dis_num_iter`` by ``iteration_factor``; once it exceeds
        ``dis_num_iter_loosen``, loosen ``dis_conv_tol`` tenfold instead (up to ``dis_conv_tol_max``): on slabs with
        vacuum Omega_I creeps down by parts in 1e8 per iteration for thousands of iterations."""
        parameters = self._parameters()
        iterations = int(parameters.get("dis_num_iter", DEFAULTS["dis_num_iter"]))
        tolerance = float(parameters.get("dis_conv_tol", DEFAULTS["dis_conv_tol"]))
        if iterations >= DEFAULTS["dis_num_iter_loosen"] and tolerance * 10 <= DEFAULTS["dis_conv_tol_max"] * (
            1 + 1e-9
        ):
            parameters["dis_conv_tol"] = tolerance * 10
            self._set_parameters(parameters)
            self.report_error_handled(
                node, f"loosened dis_conv_tol from {tolerance:g} to {tolerance * 10:g}; restarting."
            )
            return ProcessHandlerReport(True)
        return self._more_iterations(node, "dis_num_iter")

    @process_handler(priority=300, exit_codes=[Wannier90Calculation.exit_codes.ERROR_WANNIERISATION_NOT_CONVERGED])
    def handle_wannierisation_not_converged(self, node):
        """Spread minimisation not converged: multiply ``num_iter`` by ``iteration_factor``."""
        return self._more_iterations(node, "num_iter")

    def _more_iterations(self, node, key: str):
        parameters = self._parameters()
        current = int(parameters.get(key, DEFAULTS[key]))
        new = current * DEFAULTS["iteration_factor"]
        if current < 1:
            # zero iterations were asked for on purpose (a projected subspace or gauge): nothing to raise
            self.report_error_handled(node, f"{key} = {current} was chosen; not raising it, aborting.")
            return ProcessHandlerReport(True, self.exit_codes.ERROR_ITERATIONS_EXHAUSTED.format(key=key, value=current))
        if new > DEFAULTS["max_iterations_cap"]:
            self.report_error_handled(node, f"{key} = {current} is at the cap; aborting.")
            return ProcessHandlerReport(True, self.exit_codes.ERROR_ITERATIONS_EXHAUSTED.format(key=key, value=current))
        parameters[key] = new
        self._set_parameters(parameters)
        self.report_error_handled(node, f"raised {key} from {current} to {new} and restarting.")
        return ProcessHandlerReport(True)
