"""Fixtures of the work-chain tests: stand-in codes, small Ni pseudopotential families, the Ni monolayer and its pw.x
inputs, and planted finished children for the inspect steps."""

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType

from aiida_orbmag.demo import FULL_PSEUDO, PSEUDO_DIR, SCALAR_PSEUDO, nickel_family, pw_parameters

#: label -> Debian file of the test families (cutoffs 30 / 240 Ry)
NI_FAMILIES = {"test/Ni/SR": SCALAR_PSEUDO, "test/Ni/FR": FULL_PSEUDO}


@pytest.fixture
def fake_codes(stand_in_codes):
    """pw, pw2wannier90 and wannier90 codes that point at /bin/true: for builders and planted-child tests."""
    return stand_in_codes("fake-")


@pytest.fixture
def ni_families(aiida_profile):
    """label -> family: Debian's scalar (SR) and fully (FR) relativistic Ni, made once per profile."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    return {label: nickel_family(label, filename, cutoffs_ry=(30.0, 240.0)) for label, filename in NI_FAMILIES.items()}


def _nickel_monolayer() -> orm.StructureData:
    a = 2.45
    structure = orm.StructureData(cell=[[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, 14.0]])
    structure.append_atom(position=(0, 0, 0), symbols="Ni")  # on z = 0: see calcfunctions/structures.py
    structure.pbc = (True, True, False)
    return structure


@pytest.fixture
def nickel_monolayer():
    """A factory of the free-standing hexagonal Ni monolayer (a = 2.45 Å, 14 Å cell height, one atom on z = 0)."""
    return _nickel_monolayer


def _pw_inputs(code, pseudo, calculation, mpiprocs=2):
    parameters = pw_parameters(calculation, spin_orbit=True)
    parameters["SYSTEM"].update({"starting_magnetization": {"Ni": 0.5}, "angle1": {"Ni": 0.0}, "angle2": {"Ni": 0.0}})
    options = {"resources": {"num_machines": 1, "num_mpiprocs_per_machine": mpiprocs}, "max_wallclock_seconds": 1800}
    return {
        "pw": {
            "code": code,
            "parameters": orm.Dict(parameters),
            "pseudos": {"Ni": pseudo},
            "metadata": {"options": options},
        }
    }


@pytest.fixture
def pw_inputs():
    """A factory ``(code, pseudo, calculation, mpiprocs=2)`` of PwBaseWorkChain inputs: the demo's Ni settings
    (:func:`aiida_orbmag.demo.pw_parameters`) with spin-orbit coupling and a starting moment along z."""
    return _pw_inputs


def _planted_child(exit_status=0, outputs=None):
    node = orm.WorkChainNode()
    node.set_process_state("finished")
    node.set_exit_status(exit_status)
    node.store()
    for label, output in (outputs or {}).items():
        output.store()
        output.base.links.add_incoming(node, LinkType.RETURN, label)
    return node


@pytest.fixture
def planted_child(aiida_profile):
    """A factory ``(exit_status=0, outputs=None)`` of a stored, finished WorkChainNode returning ``outputs``: a
    child for the inspect steps to judge."""
    return _planted_child
