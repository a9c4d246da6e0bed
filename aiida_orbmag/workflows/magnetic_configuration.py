"""``orbmag.magnetic_configuration``: the lowest-energy collinear magnetic order among candidates, from DFT.

Candidates are generated from the geometry (:mod:`aiida_orbmag.physics.magnetic_orders`: ferromagnetic,
interlayer antiferromagnetic, in-plane Neel where the lattice allows) or given as moments per site. For each,
aiida-quantumespresso's ``create_magnetic_configuration`` splits the kinds (Cr -> Cr0, Cr1) and a collinear
``PwBaseWorkChain`` SCF runs; all candidates run at once. The ``magnetic_energy_table`` calcfunction ranks them:
energies, energies per magnetic atom relative to the ground state (meV), final total and absolute magnetisations,
whether the order survived the SCF, candidates within the degeneracy tolerance of the ground state, and the
candidates that failed (never dropped silently).

With ``fixed_order`` the user chooses the order instead (the paper fixes bilayer CrI3's interlayer antiferromagnet,
whose competitors lie well under 1 meV per Cr away): only that candidate's SCF runs, and the table says
``"selection": "fixed"`` with the name, so the provenance shows that the order was chosen, not ranked.
"""

from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import WorkChain, calcfunction
from aiida_quantumespresso.calculations.functions.create_magnetic_configuration import (
    create_magnetic_configuration,
)
from aiida_quantumespresso.common.types import SpinType
from aiida_quantumespresso.utils.mapping import prepare_process_inputs
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_orbmag.physics.magnetic_orders import MAGNETIC_ELEMENTS, candidate_orders
from aiida_orbmag.workflows.common import site_positions_and_symbols
from aiida_orbmag.workflows.protocols.utils import (
    DEFAULT_COLLINEAR_PSEUDO_FAMILY,
    default_input,
    protocol_filepath,
    pw_base_builder,
)

#: A candidate whose net moment vanishes must end with |total| below this fraction of the absolute magnetisation (and
#: a ferromagnet above it), or its order is reported as not kept.
ORDER_KEPT_FRACTION = 0.5


def validate_candidates(node, _):
    for name, moments in node.get_dict().items():
        if not isinstance(moments, list) or not all(isinstance(m, int | float) for m in moments):
            return f"The candidate {name!r} must be a list of one moment (mu_B) per site."
    return None


def pseudos_for_kinds(pseudos: dict, structure: orm.StructureData) -> dict:
    """kind -> pseudopotential for ``structure``, whose kinds may split an element (Cr -> Cr0, Cr1), from
    ``pseudos`` given per kind of the unsplit structure: each kind takes the pseudopotential of its element."""
    by_element = {pseudo.element: pseudo for pseudo in pseudos.values()}
    return {kind.name: by_element[kind.symbol] for kind in structure.kinds}


def _order_kept(expected_net: float, expected_size: float, total: float, absolute: float) -> bool:
    compensated = abs(expected_net) < 1e-6 * max(expected_size, 1e-12)
    fraction = abs(total) / absolute if absolute > 1e-8 else 0.0
    return fraction < ORDER_KEPT_FRACTION if compensated else fraction >= ORDER_KEPT_FRACTION


@calcfunction
def magnetic_energy_table(candidates, tolerance, fixed_order=None, **outputs):
    """Rank the candidates (Dict name -> {moments, num_magnetic, status}) by the energy (eV) of their SCF
    ``output_parameters`` (keyword = candidate name); ``tolerance``: degeneracy, eV per magnetic atom.
    ``fixed_order`` (Str): the order the user chose; it becomes the ground state whatever the energies."""
    rows, energies = {}, {}
    for name, candidate in candidates.get_dict().items():
        row = {"status": candidate["status"], "initial_moments_muB": candidate["moments"]}
        if name in outputs:
            output = outputs[name].get_dict()
            total, absolute = float(output.get("total_magnetization", 0.0)), float(output["absolute_magnetization"])
            moments = candidate["moments"]
            row.update(
                energy_eV=float(output["energy"]),
                total_magnetization_muB=total,
                absolute_magnetization_muB=absolute,
                order_kept=_order_kept(sum(moments), sum(abs(m) for m in moments), total, absolute),
            )
            energies[name] = row["energy_eV"]
        rows[name] = row
    if not energies:
        raise ValueError("No candidate SCF finished; there is no ground state to choose.")
    if fixed_order is not None:
        ground = fixed_order.value
        if ground not in energies:
            raise ValueError(f"The fixed order {ground!r} has no finished SCF; it cannot be used.")
    else:
        ground = min(energies, key=energies.get)
    num_magnetic = candidates[ground]["num_magnetic"]
    for name, energy in energies.items():
        rows[name]["relative_energy_meV_per_magnetic_atom"] = 1000 * (energy - energies[ground]) / num_magnetic
    degenerate = [n for n, e in energies.items() if n != ground and (e - energies[ground]) / num_magnetic < tolerance]
    return orm.Dict(
        {
            "ground_state": ground,
            "selection": "lowest energy" if fixed_order is None else "fixed",
            "degenerate_with_ground_state": sorted(degenerate),
            "failed": sorted(n for n in rows if n not in energies),
            "candidates": rows,
            "energy_units": "eV (relative: meV per magnetic atom)",
            "degeneracy_tolerance_eV_per_magnetic_atom": tolerance.value,
        }
    )


@calcfunction
def select_ground_state(energies, **candidates):
    """The ground state named by the energy table ``energies`` (:func:`magnetic_energy_table`): a copy of its
    structure (``structure_<name>``) and kind moments in mu_B (``moments_<name>``), so that the provenance of the
    chosen state runs through the energies of every candidate's SCF."""
    ground = energies["ground_state"]
    if f"structure_{ground}" not in candidates or f"moments_{ground}" not in candidates:
        raise ValueError(f"The ground state {ground!r} of the table is not among the candidates given.")
    return {
        "structure": candidates[f"structure_{ground}"].clone(),
        "magnetic_moments": orm.Dict(candidates[f"moments_{ground}"].get_dict()),
    }


class MagneticConfigurationWorkChain(ProtocolMixin, WorkChain):
    """Collinear SCF of every candidate magnetic order; the lowest in energy is the ground state."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(
            PwBaseWorkChain,
            namespace="scf",
            exclude=("clean_workdir", "pw.structure"),
            namespace_options={"help": "Collinear SCF inputs (nspin, starting_magnetization: set per candidate)."},
        )
        spec.input("structure", valid_type=orm.StructureData, help="The structure (Å), one kind per element.")
        spec.input(
            "candidates",
            valid_type=orm.Dict,
            required=False,
            validator=validate_candidates,
            help="Orders to compare, name -> moment per site (mu_B); default: generated from the geometry.",
        )
        spec.input(
            "moment",
            valid_type=orm.Float,
            default=lambda: orm.Float(default_input("magnetic_configuration", "moment")),
            help="Size of the starting moment of magnetic sites in generated candidates (mu_B); default from "
            "protocols/magnetic_configuration.yaml.",
        )
        spec.input(
            "magnetic_elements",
            valid_type=orm.List,
            required=False,
            help="Elements that carry moments in generated candidates; default: transition metals and lanthanides.",
        )
        spec.input(
            "fixed_order",
            valid_type=orm.Str,
            required=False,
            help="Use this order instead of ranking: the name of a generated candidate (ferromagnetic, "
            "interlayer_antiferromagnetic, neel) or of one given in `candidates`; only its SCF runs.",
        )
        spec.input(
            "degeneracy_tolerance",
            valid_type=orm.Float,
            default=lambda: orm.Float(default_input("magnetic_configuration", "degeneracy_tolerance")),
            help="Candidates within this energy of the ground state (eV per magnetic atom) are reported degenerate; "
            "default from protocols/magnetic_configuration.yaml.",
        )
        spec.outline(cls.setup, cls.run_candidates, cls.inspect_candidates, cls.results)
        spec.output("structure", valid_type=orm.StructureData, help="Ground state, with one kind per moment.")
        spec.output("magnetic_moments", valid_type=orm.Dict, help="Moments of its kinds (mu_B).")
        spec.output("energies", valid_type=orm.Dict, help="Energy table of every candidate (eV, meV per atom).")
        spec.output(
            "remote_folder",
            valid_type=orm.RemoteData,
            required=False,
            help="The ground state's collinear SCF folder (its converged density).",
        )
        spec.exit_code(201, "ERROR_CANDIDATES", message="The candidate orders are invalid: {error}.")
        spec.exit_code(
            202,
            "ERROR_FIXED_ORDER",
            message="The fixed order {name!r} is not among the candidates ({available}); name one of them, or give "
            "its moments per site in `candidates`.",
        )
        spec.exit_code(410, "ERROR_SUB_PROCESS_FAILED_CANDIDATES", message="No candidate SCF finished successfully.")

    @classmethod
    def get_protocol_filepath(cls):
        return protocol_filepath("magnetic_configuration")

    @classmethod
    def get_builder_from_protocol(
        cls,
        code,
        structure: orm.StructureData,
        protocol: str | None = None,
        overrides: dict | None = None,
        pseudo_family: str = DEFAULT_COLLINEAR_PSEUDO_FAMILY,
        options: dict | None = None,
    ):
        """A builder for ``structure`` from the ``fast`` / ``balanced`` / ``stringent`` protocol: the collinear SCF
        of each candidate from aiida-quantumespresso's PwBaseWorkChain protocol with ``code`` (pw.x) and
        ``pseudo_family`` (scalar-relativistic), overridden by ``overrides["scf"]``; ``options`` of the pw.x jobs."""
        inputs = cls.get_protocol_inputs(protocol, overrides)
        scf = pw_base_builder(
            code, structure, protocol, inputs.pop("scf", None), pseudo_family, SpinType.COLLINEAR, options
        )
        builder = cls.get_builder()
        builder.structure = structure
        builder.scf._update(scf._inputs(prune=True))
        for key, value in inputs.items():
            builder[key] = orm.to_aiida_type(value)
        return builder

    def setup(self):
        structure = self.inputs.structure
        positions, symbols = site_positions_and_symbols(structure)
        try:
            if "candidates" in self.inputs:
                candidates = self.inputs.candidates.get_dict()
            else:
                elements = self.inputs.magnetic_elements.get_list() if "magnetic_elements" in self.inputs else None
                orders = candidate_orders(structure.cell, positions, symbols, elements or MAGNETIC_ELEMENTS)
                size = self.inputs.moment.value
                candidates = {name: [size * sign for sign in signs] for name, signs in orders.items()}
            wrong = {name: len(m) for name, m in candidates.items() if len(m) != len(structure.sites)}
            if wrong or not candidates:
                raise ValueError(f"each candidate needs {len(structure.sites)} moments, one per site; got {wrong}")
        except ValueError as error:
            return self.exit_codes.ERROR_CANDIDATES.format(error=str(error).rstrip("."))
        if "fixed_order" in self.inputs:
            name = self.inputs.fixed_order.value
            if name not in candidates:
                return self.exit_codes.ERROR_FIXED_ORDER.format(name=name, available=", ".join(sorted(candidates)))
            candidates = {name: candidates[name]}
            self.report(f"magnetic order fixed by the user: {name} (no ranking)")
        else:
            self.report(f"candidate orders: {', '.join(candidates)}")
        self.ctx.candidates = candidates
        return None

    def _scf_inputs(self, name: str, moments: list[float]) -> AttributeDict:
        configuration = create_magnetic_configuration(self.inputs.structure, orm.List(moments))
        structure = configuration["structure"]
        kind_moments = configuration["magnetic_moments"].get_dict()
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace="scf"))
        inputs.pw.pseudos = pseudos_for_kinds(inputs.pw.pseudos, structure)
        parameters = inputs.pw.parameters.get_dict()
        system = parameters.setdefault("SYSTEM", {})
        for key in ("noncolin", "lspinorb", "angle1", "angle2", "starting_magnetization"):
            system.pop(key, None)
        system["nspin"] = 2
        system["starting_magnetization"] = {
            kind: max(-1.0, min(1.0, moment / inputs.pw.pseudos[kind].z_valence))
            for kind, moment in kind_moments.items()
        }
        inputs.pw.parameters = orm.Dict(parameters)
        inputs.pw.structure = structure
        inputs.metadata.call_link_label = f"scf_{name}"
        return inputs

    def run_candidates(self):
        for name, moments in self.ctx.candidates.items():
            inputs = self._scf_inputs(name, moments)
            running = self.submit(PwBaseWorkChain, **prepare_process_inputs(PwBaseWorkChain, inputs))
            self.report(f"launching PwBaseWorkChain<{running.pk}> for the {name} candidate")
            self.to_context(**{f"scf_{name}": running})

    def inspect_candidates(self):
        candidates, outputs = {}, {}
        for name, moments in self.ctx.candidates.items():
            workchain = self.ctx[f"scf_{name}"]
            status = "finished" if workchain.is_finished_ok else f"failed with exit status {workchain.exit_status}"
            if not workchain.is_finished_ok:
                self.report(f"the {name} candidate's PwBaseWorkChain<{workchain.pk}> {status}: reported, not used")
            else:
                outputs[name] = workchain.outputs.output_parameters
            magnetic = sum(1 for m in moments if abs(m) > 0)
            candidates[name] = {"moments": moments, "num_magnetic": max(magnetic, 1), "status": status}
        if not outputs:
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_CANDIDATES
        fixed = {"fixed_order": self.inputs.fixed_order} if "fixed_order" in self.inputs else {}
        table = magnetic_energy_table(orm.Dict(candidates), self.inputs.degeneracy_tolerance, **fixed, **outputs)
        self.ctx.table = table
        ground = table["ground_state"]
        self.report(f"ground state: {ground}; degenerate with it: {table['degenerate_with_ground_state'] or 'none'}")
        for name, row in table["candidates"].items():
            if row.get("order_kept") is False:
                total = row["total_magnetization_muB"]
                self.report(f"warning: the {name} candidate ended in another order (total {total:.2f} mu_B)")
        return None

    def results(self):
        candidates = {}
        for name in self.ctx.candidates:
            if self.ctx[f"scf_{name}"].is_finished_ok:
                structure = self.ctx[f"scf_{name}"].inputs.pw.structure
                candidates[f"structure_{name}"] = structure
                candidates[f"moments_{name}"] = structure.creator.outputs.magnetic_moments
        selected = select_ground_state(self.ctx.table, **candidates)
        self.out("structure", selected["structure"])
        self.out("magnetic_moments", selected["magnetic_moments"])
        self.out("energies", self.ctx.table)
        ground = self.ctx[f"scf_{self.ctx.table['ground_state']}"]
        if "remote_folder" in ground.outputs:
            self.out("remote_folder", ground.outputs.remote_folder)
