"""The light work chain of the engine's load test, importable by the daemon's workers (the tests put the repository
on their PYTHONPATH)."""

from aiida import orm
from aiida.engine import WorkChain

from aiida_orbmag.calcfunctions.susceptibility import compute_susceptibility
from aiida_orbmag.data import TightBindingData


class ModelChiWorkChain(WorkChain):
    """chi of a stored tight-binding model in one step: a chain with a checkpoint and a calcfunction child, and no
    DFT, so that many of them measure the daemon rather than the physics."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input("tight_binding", valid_type=TightBindingData, help="The model.")
        spec.input("parameters", valid_type=orm.Dict, help="Parameters of orbmag.compute_susceptibility.")
        spec.outline(cls.run_chi, cls.results)
        spec.output("chi", valid_type=orm.ArrayData, help="chi (nm/Ohm) of the model.")
        spec.exit_code(400, "ERROR_CHI_FAILED", message="orbmag.compute_susceptibility failed.")

    def run_chi(self):
        results, node = compute_susceptibility.run_get_node(
            tight_binding=self.inputs.tight_binding, parameters=self.inputs.parameters
        )
        if not node.is_finished_ok:
            return self.exit_codes.ERROR_CHI_FAILED
        self.ctx.chi = results["chi"]

    def results(self):
        self.out("chi", self.ctx.chi)
