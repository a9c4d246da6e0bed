"""Builder of ``orbmag.susceptibility`` from its protocols: snapshots per protocol, overrides, spin-axis helpers."""

import pytest

from aiida_orbmag.demo import nickel_bilayer
from aiida_orbmag.physics.crystal_symmetry import moment_vector, spin_orientation
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain


@pytest.fixture
def codes(fake_codes):
    return fake_codes


@pytest.fixture
def families(ni_families):
    return ni_families


def _builder(codes, protocol, **kwargs):
    return SusceptibilityWorkChain.get_builder_from_protocol(
        codes,
        nickel_bilayer(),
        protocol=protocol,
        pseudo_family="test/Ni/FR",
        collinear_pseudo_family="test/Ni/SR",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("protocol", "kmesh", "num_mu", "temperatures"),
    [
        ("fast", [48, 48], 101, [0.0, 100.0, 300.0]),
        ("balanced", [120, 120], 201, [0.0, 10.0, 100.0, 300.0]),
        ("stringent", [300, 300], 801, [0.0, 10.0, 100.0, 300.0]),
    ],
)
def test_protocol_snapshot(codes, families, protocol, kmesh, num_mu, temperatures):
    builder = _builder(codes, protocol)
    parameters = builder.susceptibility_parameters.get_dict()
    assert parameters == {
        "chemical_potential_range": [-1.0, 1.0, num_mu],
        "relative_to_fermi_energy": True,
        "temperatures": temperatures,
        "kmesh": kmesh,
        "kmesh_error": True,
    }
    assert builder.spin_axis.get_list() == [0.0, 0.0] and "relax" not in builder._inputs(prune=True)
    # collinear candidates with the scalar-relativistic family, spin-orbit Wannierisation with the fully relativistic
    collinear = builder.magnetic.scf.pw
    assert collinear.parameters["SYSTEM"]["nspin"] == 2 and "lspinorb" not in collinear.parameters["SYSTEM"]
    assert collinear.pseudos["Ni"].uuid == families["test/Ni/SR"].get_pseudo("Ni").uuid
    assert builder.magnetic.moment.value == 3.0 and builder.magnetic.degeneracy_tolerance.value == 1e-3
    soc = builder.wannierization.scf.pw
    assert (
        soc.parameters["SYSTEM"]["lspinorb"] and soc.pseudos["Ni"].uuid == families["test/Ni/FR"].get_pseudo("Ni").uuid
    )
    assert "structure" not in builder.wannierization and "magnetic_moments" not in builder.wannierization


def test_overrides_reach_every_step(codes, families):
    builder = _builder(
        codes,
        "fast",
        overrides={
            "spin_axis": [90.0, 0.0],
            "susceptibility_parameters": {"kmesh": [24, 24]},
            "magnetic": {"moment": 1.0},
            "wannierization": {"frozen_margin": 0.5},
        },
        run_relax=True,
    )
    assert builder.spin_axis.get_list() == [90.0, 0.0]
    assert builder.susceptibility_parameters["kmesh"] == [24, 24]
    assert builder.susceptibility_parameters["temperatures"] == [0.0, 100.0, 300.0]
    assert builder.magnetic.moment.value == 1.0 and builder.wannierization.frozen_margin.value == 0.5
    assert builder.relax.base_relax.pw.parameters["CELL"]["cell_dofree"] == "2Dxy"
    assert builder.relax.base_relax.pw.pseudos["Ni"].uuid == families["test/Ni/SR"].get_pseudo("Ni").uuid


def test_spin_orientation_follows_the_axis_and_the_sign():
    assert spin_orientation(3.0, [0.0, 0.0]) == (3.0, 0.0, 0.0)
    assert spin_orientation(-3.0, [0.0, 0.0]) == (3.0, 180.0, 180.0)
    assert spin_orientation(-2.0, [90.0, 30.0]) == (2.0, 90.0, 210.0)
    assert moment_vector(-2.0, [90.0, 0.0]) == pytest.approx([-2.0, 0.0, 0.0], abs=1e-12)
    size, theta, phi = spin_orientation(-2.0, [60.0, 45.0])
    assert moment_vector(size, [theta, phi]) == pytest.approx(moment_vector(-2.0, [60.0, 45.0]), abs=1e-12)


def test_port_defaults_are_those_of_the_protocol_file():
    """One home per default: the ports read protocols/susceptibility.yaml."""
    ports = SusceptibilityWorkChain.spec().inputs
    defaults = SusceptibilityWorkChain.get_protocol_inputs()
    assert ports["spin_axis"].default().get_list() == defaults["spin_axis"] == [0.0, 0.0]
    assert ports["clean_workdir"].default().value == defaults["clean_workdir"] is False
    assert ports["spin_orbit_from_collinear"].default().value == defaults["spin_orbit_from_collinear"] is False


def test_from_collinear_density_reads_the_collinear_folder(aiida_localhost):
    """The spin-orbit SCF's inputs with the collinear folder as parent, pw.x told to read its density (lforcet,
    startingpot 'file'); the given namespace is left as it was."""
    from aiida import orm

    from aiida_orbmag.workflows.susceptibility import from_collinear_density

    parameters = orm.Dict({"SYSTEM": {"noncolin": True, "ecutrho": 240.0}, "ELECTRONS": {"conv_thr": 1e-8}})
    folder = orm.RemoteData(remote_path="/tmp/collinear", computer=aiida_localhost)
    given = {"pw": {"parameters": parameters}, "kpoints_distance": orm.Float(0.4)}
    started = from_collinear_density(given, folder)
    assert started["pw"]["parent_folder"] is folder and started["kpoints_distance"] is given["kpoints_distance"]
    assert started["pw"]["parameters"].get_dict() == {
        "SYSTEM": {"noncolin": True, "ecutrho": 240.0, "lforcet": True},
        "ELECTRONS": {"conv_thr": 1e-8, "startingpot": "file"},
    }
    assert "parent_folder" not in given["pw"] and given["pw"]["parameters"] is parameters
    assert "lforcet" not in parameters.get_dict()["SYSTEM"]
