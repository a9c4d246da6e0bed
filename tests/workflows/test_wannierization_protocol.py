"""Builder of ``orbmag.wannierization`` from its protocols (snapshots of what each protocol sets; no executable)."""

import pytest

from aiida_orbmag.physics.crystal_symmetry import moment_vectors
from aiida_orbmag.workflows.wannierization import WannierizationWorkChain

FAMILY = "test/Ni/FR"


@pytest.fixture
def codes(fake_codes):
    return fake_codes


@pytest.fixture
def family(ni_families):
    return ni_families[FAMILY]


@pytest.mark.parametrize(
    # |b1| = 4 pi / (sqrt(3) a) = 2.961 1/Å for a = 2.45 Å: ceil(|b1| / spacing) for spacings 0.5, 0.3, 0.2 1/Å
    ("protocol", "mesh", "margin"),
    [("fast", 6, 1.0), ("balanced", 10, 1.0), ("stringent", 15, 2.0)],
)
def test_protocol_snapshot(codes, family, protocol, mesh, margin, nickel_monolayer):
    builder = WannierizationWorkChain.get_builder_from_protocol(
        codes, nickel_monolayer(), {"Ni": 1.0}, protocol=protocol, pseudo_family=FAMILY
    )
    assert builder.kpoints.get_kpoints_mesh()[0] == [mesh, mesh, 1]
    assert builder.frozen_margin.value == margin and builder.check_interpolation.value is True
    assert builder.wannier90_parameters.get_dict() == {
        "num_iter": 400,
        "dis_num_iter": 1000,
        "dis_conv_tol": 1e-8,
        "ws_distance_tol": 5e-2,
    }
    for namespace in (builder.scf, builder.nscf):
        system = namespace.pw.parameters["SYSTEM"]
        assert system["noncolin"] and system["lspinorb"] and system["assume_isolated"] == "2D"
        assert system["ecutwfc"] == 30.0 and system["ecutrho"] == 240.0
        assert system["starting_magnetization"]["Ni"] == pytest.approx(1.0 / 10.0)  # mu_B over z_valence
        assert namespace.pw.pseudos["Ni"].uuid == family.get_pseudo("Ni").uuid
    electrons = builder.scf.pw.parameters["ELECTRONS"]
    assert electrons["mixing_mode"] == "local-TF" and electrons["mixing_beta"] == 0.2
    assert electrons["conv_thr"] == pytest.approx(2e-7)  # one atom: the Wannier protocol's 2e-7 Ry per atom
    assert "kpoints" not in builder.nscf and "kpoints_distance" not in builder.nscf
    assert "structure" not in builder.scf.pw and builder.magnetic_moments.get_dict() == {"Ni": [0.0, 0.0, 1.0]}
    assert builder.wannier90.wannier90.code.uuid == codes["wannier90"].uuid
    # the 2D band path of the hexagonal layer, for the interpolated_bands that `plot bands` draws
    assert builder.wannier90.wannier90.kpoint_path.get_dict()["path"] == [["G", "M"], ["M", "K"], ["K", "G"]]


def test_overrides_and_projection_orbitals(codes, family, nickel_monolayer):
    builder = WannierizationWorkChain.get_builder_from_protocol(
        codes,
        nickel_monolayer(),
        {"Ni": (2.0, 90.0, 0.0)},
        protocol="fast",
        overrides={"frozen_margin": 0.5, "wannier90_parameters": {"num_iter": 50}},
        pseudo_family=FAMILY,
        projection_orbitals={"Ni": "d"},
    )
    assert builder.frozen_margin.value == 0.5 and builder.wannier90_parameters["num_iter"] == 50
    assert builder.wannier90_parameters["dis_num_iter"] == 1000  # untouched defaults stay
    assert builder.projection_orbitals.get_dict() == {"Ni": "d"}
    no_path = WannierizationWorkChain.get_builder_from_protocol(
        codes, nickel_monolayer(), {"Ni": 1.0}, overrides={"band_path": False}, pseudo_family=FAMILY
    )
    assert "kpoint_path" not in no_path.wannier90.wannier90
    assert builder.scf.pw.parameters["SYSTEM"]["angle1"]["Ni"] == 90.0
    assert builder.magnetic_moments["Ni"] == pytest.approx([2.0, 0.0, 0.0], abs=1e-12)


def test_missing_code_and_bad_moment_are_refused(codes, family, nickel_monolayer):
    with pytest.raises(ValueError, match="codes lacks"):
        WannierizationWorkChain.get_builder_from_protocol({"pw": codes["pw"]}, nickel_monolayer(), {"Ni": 1.0})
    with pytest.raises(ValueError, match="not a valid protocol"):
        WannierizationWorkChain.get_builder_from_protocol(codes, nickel_monolayer(), {"Ni": 1.0}, protocol="x")
    assert moment_vectors({"Cr": (3.0, 180.0, 0.0)})["Cr"] == pytest.approx([0.0, 0.0, -3.0], abs=1e-12)
    with pytest.raises(ValueError, match="must be a number"):
        moment_vectors({"Cr": (3.0, 1.0)})


def test_default_protocol_is_balanced():
    assert WannierizationWorkChain.get_default_protocol() == "balanced"
    assert set(WannierizationWorkChain.get_available_protocols()) == {"fast", "balanced", "stringent"}


def test_port_defaults_are_those_of_the_protocol_file():
    """One home per default: the ports read protocols/wannierization.yaml."""
    ports = WannierizationWorkChain.spec().inputs
    defaults = WannierizationWorkChain.get_protocol_inputs()
    for name in ("frozen_margin", "check_interpolation", "clean_workdir"):
        assert ports[name].default().value == defaults[name]


def test_scheduler_options_reach_every_job(codes, family, nickel_monolayer):
    """The user's account, queue, wall time and ranks reach pw.x and pw2wannier90.x (both under MPI on the same
    ranks); the wannier90.x jobs get the account, queue and wall time but one process without mpirun when the code is
    not MPI-built (``with_mpi`` False, as ``codes setup`` marks Debian's)."""
    options = {
        "resources": {"num_machines": 2, "num_mpiprocs_per_machine": 8},
        "max_wallclock_seconds": 7200,
        "account": "proj42",
        "queue_name": "debug",
    }
    builder = WannierizationWorkChain.get_builder_from_protocol(
        codes, nickel_monolayer(), {"Ni": 1.0}, protocol="fast", pseudo_family=FAMILY, options=options
    )
    shared = {"max_wallclock_seconds": 7200, "account": "proj42", "queue_name": "debug"}
    for job in (builder.scf.pw, builder.nscf.pw, builder.pw2wannier90):
        job_options = dict(job.metadata.options)
        assert {key: job_options[key] for key in shared} == shared
        assert job_options["resources"] == options["resources"] and job_options["withmpi"] is True
    wannier90 = dict(builder.wannier90.wannier90.metadata.options)
    assert {key: wannier90[key] for key in shared} == shared
    assert wannier90["resources"] == {"num_machines": 1, "num_mpiprocs_per_machine": 1}
    assert wannier90["withmpi"] is False


@pytest.mark.parametrize(("with_mpi", "ranks", "withmpi"), [(None, 1, False), (False, 1, False), (True, 8, True)])
def test_wannier90_runs_under_mpi_only_when_its_code_is_mpi_built(aiida_localhost, with_mpi, ranks, withmpi):
    from aiida import orm

    from aiida_orbmag.workflows.protocols.utils import job_options

    code = orm.InstalledCode(
        label=f"w90-{with_mpi}", computer=aiida_localhost, filepath_executable="/bin/true",
        default_calc_job_plugin="orbmag.wannier90",
    )  # fmt: skip
    code.with_mpi = with_mpi
    options = job_options(code, {"resources": {"num_machines": 1, "num_mpiprocs_per_machine": 8}})
    assert options["resources"]["num_mpiprocs_per_machine"] == ranks and options["withmpi"] is withmpi
