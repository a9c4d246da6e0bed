"""A finished-looking susceptibility chain without DFT: planted pw.x / pw2wannier90.x / wannier90.x CalcJob nodes
linked as the real chain links them, the demo's real Wannier model, and a work chain that calls the real
calcfunctions (magnetic_point_group, parameters_with_symmetry, compute_susceptibility) and returns the chain's
outputs under the real output names."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import WorkChain
from plumpy import ProcessState

from aiida_orbmag.calcfunctions.magnetic_symmetry import magnetic_point_group, parameters_with_symmetry
from aiida_orbmag.calcfunctions.susceptibility import compute_susceptibility
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.workflows.magnetic_configuration import magnetic_energy_table

FERMI_ENERGY = -5.128059  # eV, of the demo's model (its aiida.win)
PARAMETERS = {
    "chemical_potential_range": [-0.3, 0.3, 13],
    "relative_to_fermi_energy": True,
    "temperatures": [0.0, 100.0, 300.0],
    "kmesh": [12, 12],
    "kmesh_error": True,
    "degeneracy_tol": 1e-3,
    "lambda_map_mu": 0.0,
}


class PlantedSusceptibilityChain(WorkChain):
    """Calls the chain's calcfunctions on a planted model and returns the outputs of orbmag.susceptibility."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input("structure", valid_type=orm.StructureData)
        spec.input("magnetic_structure", valid_type=orm.StructureData)
        spec.input("magnetic_moments", valid_type=orm.Dict)
        spec.input("tight_binding", valid_type=TightBindingData)
        spec.input("susceptibility_parameters", valid_type=orm.Dict)
        spec.input("magnetic_energies", valid_type=orm.Dict)
        spec.input("quality_report", valid_type=orm.Dict)
        spec.input("band_structure", valid_type=orm.BandsData)
        spec.outline(cls.run_all)
        spec.outputs.dynamic = True

    def run_all(self):
        group = magnetic_point_group(self.inputs.magnetic_structure, self.inputs.magnetic_moments)
        parameters = parameters_with_symmetry(self.inputs.susceptibility_parameters, group)
        results = compute_susceptibility(self.inputs.tight_binding, parameters)
        for name, node in results.items():
            self.out(name, node)
        self.out("symmetry", group)
        for name in ("tight_binding", "magnetic_energies", "quality_report", "band_structure"):
            self.out(name, self.inputs[name])
        self.out("magnetic_structure", self.inputs.magnetic_structure)


def afm_bilayer() -> orm.StructureData:
    """The demo's Ni(111) bilayer with its two kinds Ni0, Ni1 (the interlayer antiferromagnet)."""
    from aiida_orbmag.demo import nickel_bilayer

    plain = nickel_bilayer()
    structure = orm.StructureData(cell=plain.cell, pbc=plain.pbc)
    for index, site in enumerate(plain.sites):
        structure.append_atom(position=site.position, symbols="Ni", name=f"Ni{index}")
    return structure


def _calcjob(entry_point, computer, code, inputs: dict, outputs: dict) -> orm.CalcJobNode:
    node = orm.CalcJobNode(computer=computer, process_type=f"aiida.calculations:{entry_point}")
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(0)
    node.set_option("resources", {"num_machines": 1, "num_mpiprocs_per_machine": 1})
    node.base.links.add_incoming(code, LinkType.INPUT_CALC, "code")
    for label, data in inputs.items():
        node.base.links.add_incoming(data.store(), LinkType.INPUT_CALC, label)
    node.store()
    for label, data in outputs.items():
        if isinstance(data, str):  # the text of the retrieved output file
            name = "aiida.wout" if "Release" in data else "aiida.out"
            folder = orm.FolderData()
            folder.base.repository.put_object_from_bytes(data.encode(), name)
            label, data = "retrieved", folder
        data.base.links.add_incoming(node, LinkType.CREATE, label)
        data.store()
    node.seal()
    return node


def _bands(structure, model_tb: TightBindingData, shift=(0.0, 0.0)) -> orm.BandsData:
    """'DFT' bands on a 6x6 grid: the model's own energies (a planted NSCF grid)."""
    from aiida_orbmag.physics.bands import band_energies

    grid = np.array([[i / 6 + shift[0], j / 6 + shift[1], 0.0] for i in range(6) for j in range(6)])
    bands = orm.BandsData()
    bands.set_cell_from_structure(structure)
    bands.set_kpoints(grid)
    bands.set_bands(band_energies(model_tb.get_model(), grid), units="eV")
    return bands


def planted_chain(codes: dict, computer, pseudo, model_folder, missing: str | None = None) -> orm.WorkflowNode:
    """The planted chain; ``missing="nscf"`` leaves out pw2wannier90's parent_folder link (a broken graph)."""
    structure = afm_bilayer().store()
    tight_binding = TightBindingData.from_tb_file(model_folder / "aiida_tb.dat", fermi_energy=FERMI_ENERGY)
    remote = {name: orm.RemoteData(computer=computer, remote_path=f"/tmp/planted/{name}") for name in ("s", "n", "p")}

    def pw_parameters(calculation):
        return orm.Dict({"CONTROL": {"calculation": calculation}, "SYSTEM": {"ecutwfc": 25.0, "lspinorb": True}})

    version = {"creator_name": "pw", "creator_version": "6.7MaX"}
    _calcjob(
        "quantumespresso.pw",
        computer,
        codes["pw"],
        {"structure": structure, "pseudos__Ni0": pseudo, "pseudos__Ni1": pseudo, "parameters": pw_parameters("scf")},
        {"remote_folder": remote["s"], "output_parameters": orm.Dict(version)},
    )
    nscf_bands = _bands(structure, tight_binding)
    _calcjob(
        "quantumespresso.pw",
        computer,
        codes["pw"],
        {
            "structure": structure,
            "pseudos__Ni0": pseudo,
            "pseudos__Ni1": pseudo,
            "parent_folder": remote["s"],
            "parameters": pw_parameters("nscf"),
        },
        {"remote_folder": remote["n"], "output_parameters": orm.Dict(version), "output_band": nscf_bands},
    )
    p2w_inputs = {"parameters": orm.Dict({"INPUTPP": {"write_amn": True}})}
    if missing != "nscf":
        p2w_inputs["parent_folder"] = remote["n"]
    p2w_stdout = "\n     Program PW2WANNIER v.6.7MaX starts on  4Dec2026\n"
    _calcjob(
        "quantumespresso.pw2wannier90",
        computer,
        codes["pw2wannier90"],
        p2w_inputs,
        {"remote_folder": remote["p"], "retrieved": p2w_stdout},
    )
    _calcjob(
        "orbmag.wannier90",
        computer,
        codes["wannier90"],
        {"remote_input_folder": remote["p"], "parameters": orm.Dict({"num_wann": 24, "num_iter": 0})},
        {
            "tight_binding": tight_binding,
            "output_parameters": orm.Dict({"number_wannier_functions": 24}),
            "retrieved": "             |      Release: 3.1.0        5th March    2020      |\n",
        },
    )
    candidates = {
        "ferromagnetic": {"moments": [1.0, 1.0], "num_magnetic": 2, "status": "finished"},
        "interlayer_antiferromagnetic": {"moments": [1.0, -1.0], "num_magnetic": 2, "status": "finished"},
    }
    scf = {"absolute_magnetization": 1.2, "total_magnetization": 0.0}
    energies = magnetic_energy_table(
        orm.Dict(candidates),
        orm.Float(1e-3),
        ferromagnetic=orm.Dict({**scf, "energy": -100.00, "total_magnetization": 1.2}),
        interlayer_antiferromagnetic=orm.Dict({**scf, "energy": -100.19}),
    )
    quality = orm.Dict(
        {
            "max_frozen_window_deviation_eV": 2e-4,
            "max_frozen_window_deviation_off_grid_eV": 0.15,
            "max_symmetry_band_deviation_eV": 3e-5,
        }
    ).store()
    from aiida.engine import run_get_node

    _, chain = run_get_node(
        PlantedSusceptibilityChain,
        structure=structure,
        magnetic_structure=structure,
        magnetic_moments=orm.Dict({"Ni0": [0.0, 1.0, 0.0], "Ni1": [0.0, -1.0, 0.0]}),
        tight_binding=tight_binding,
        susceptibility_parameters=orm.Dict(PARAMETERS),
        magnetic_energies=energies,
        quality_report=quality,
        band_structure=nscf_bands,
    )
    assert chain.is_finished_ok, chain.exit_message
    chain.base.extras.set_many({"formula": structure.get_formula(), "stacking": "AB", "layers": 2, "strain": 0.0})
    return chain
