"""``orbmag.magnetic_configuration`` with the real pw.x on a Ni(111) bilayer: ferromagnet vs interlayer antiferromagnet.

Two Ni(111) planes of fcc Ni (a = 2.49 Å in plane, 2.03 Å apart, AB stacked), 16 Å cell height, Debian's
scalar-relativistic Ni.pbe-nd-rrkjus at 25 Ry, 6x6 k-points, cold smearing. Bulk Ni is a ferromagnet, and so is the
bilayer in DFT: the test checks that the work chain ranks both candidates from real energies and keeps both orders.
"""

import pathlib

import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.codes import PREPEND_TEXT
from aiida_orbmag.demo import nickel_bilayer, pw_parameters
from aiida_orbmag.workflows.magnetic_configuration import MagneticConfigurationWorkChain

PSEUDO = pathlib.Path("/usr/share/espresso/pseudo/Ni.pbe-nd-rrkjus.UPF")


@pytest.mark.slow
def test_nickel_bilayer_ground_state(aiida_profile, aiida_code_installed, executable):
    code = aiida_code_installed(
        label="pw-magnetic-e2e",
        filepath_executable=executable("pw.x"),
        default_calc_job_plugin="quantumespresso.pw",
        prepend_text=PREPEND_TEXT,
    )
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([6, 6, 1])
    parameters = pw_parameters("scf", spin_orbit=False)  # the demo's: 25 / 200 Ry, cold smearing
    options = {"resources": {"num_machines": 1, "num_mpiprocs_per_machine": 2}, "max_wallclock_seconds": 1800}
    inputs = {
        "structure": nickel_bilayer(),
        "scf": {
            "pw": {
                "code": code,
                "parameters": orm.Dict(parameters),
                "pseudos": {"Ni": UpfData(PSEUDO)},
                "metadata": {"options": options},
            },
            "kpoints": kpoints,
        },
        "moment": orm.Float(1.0),
    }
    results, node = run_get_node(MagneticConfigurationWorkChain, **inputs)
    assert node.is_finished_ok, node.exit_message
    table = results["energies"].get_dict()
    print(table)
    rows = table["candidates"]
    assert set(rows) == {"ferromagnetic", "interlayer_antiferromagnetic"} and table["failed"] == []
    energies = {name: row["energy_eV"] for name, row in rows.items()}
    assert table["ground_state"] == min(energies, key=energies.get)
    assert rows[table["ground_state"]]["relative_energy_meV_per_magnetic_atom"] == 0.0
    assert all(row["order_kept"] for row in rows.values())
    assert abs(rows["interlayer_antiferromagnetic"]["total_magnetization_muB"]) < 0.05
    assert rows["ferromagnetic"]["total_magnetization_muB"] > 0.5
    # the output structure is the ground state's, with its kinds; its moments follow the candidate
    kinds = sorted(kind.name for kind in results["structure"].kinds)
    assert kinds == (["Ni"] if table["ground_state"] == "ferromagnetic" else ["Ni0", "Ni1"])
    assert set(results["magnetic_moments"].get_dict()) == set(kinds)
    # the choice is in the provenance: the ground state is selected from the energy table of every candidate's SCF
    selection = results["structure"].creator
    assert selection.process_label == "select_ground_state"
    assert selection.inputs.energies.uuid == results["energies"].uuid
    assert results["magnetic_moments"].creator.uuid == selection.uuid
    scf_outputs = {link.link_label for link in results["energies"].creator.base.links.get_incoming().all()}
    assert {"ferromagnetic", "interlayer_antiferromagnetic"} <= scf_outputs
