"""``orbmag.susceptibility`` end to end with the real pw.x, pw2wannier90.x and wannier90.x on the demo Ni bilayer.

See :mod:`aiida_orbmag.demo`. Two chains, each run once for the module (about 4 minutes each on 2 cores):

- the demo itself: the interlayer antiferromagnet fixed, moments along y; group {E, PT, C2x, M_x T}: chi_y allowed,
  chi_x forbidden, every band doubly degenerate;
- the candidates ranked instead: the ferromagnet wins and keeps inversion, so every component of chi is forbidden;
  its spin-orbit SCF starts from the ferromagnet's collinear density (``spin_orbit_from_collinear``).
"""

import pathlib
import tempfile
import time

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida_pseudo.data.pseudo.upf import UpfData
from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

from aiida_orbmag.calculations.wannier90_inputs import uniform_kpoint_list
from aiida_orbmag.demo import FAMILIES, demo_inputs
from aiida_orbmag.io.wannier90 import read_tb_dat
from aiida_orbmag.physics.model_symmetry import band_symmetry_deviation
from aiida_orbmag.physics.symmetry import PointOperation
from aiida_orbmag.physics.units import KB_EV_PER_K
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

#: The forbidden chi relative to its uncancelled scale (the zone sum of |Lambda(k)| at the same mu and T, which
#: symmetry-related k-points must cancel). Measured: 1e-4 (antiferromagnet, chi_x) with the demo's settings; 1e-2
#: with the default degeneracy tolerance, 0.6-0.9 with maximally localised Wannier functions.
FORBIDDEN_CHI_FRACTION = 1e-2


@pytest.fixture(scope="module")
def chains():
    """The finished chains, each run once for the module (the codes and profile are the session's)."""
    return {}


def _run(chains, codes, name, extra=None, **options):
    if name not in chains:
        start = time.perf_counter()
        inputs = {**demo_inputs(codes, **options), **(extra or {})}
        results, node = run_get_node(SusceptibilityWorkChain, **inputs)
        chains[name] = {"results": results, "node": node, "elapsed": time.perf_counter() - start, "codes": codes}
    return chains[name]


@pytest.fixture
def finished(aiida_profile, qe_codes, chains):
    return _run(chains, qe_codes, "demo")


@pytest.fixture
def ranked(aiida_profile, qe_codes, chains):
    extra = {"spin_orbit_from_collinear": orm.Bool(True)}
    return _run(chains, qe_codes, "ranked", extra=extra, order=None, spin_axis=(0.0, 0.0))


@pytest.mark.slow
def test_demo_chi_is_allowed_along_y_and_forbidden_along_x(finished):
    results, node = finished["results"], finished["node"]
    assert node.is_finished_ok, node.exit_message
    summary = results["summary"].get_dict()
    symmetry = summary["symmetry"]
    print({key: value for key, value in symmetry.items() if "basis" not in key})
    assert symmetry["intrinsic_allowed"] == {"x": False, "y": True}
    assert symmetry["extrinsic_allowed"] == {"x": False, "y": False}  # PT forbids the extrinsic part
    chi = results["chi"].get_array("chi")
    assert np.abs(chi[..., 1]).max() > 100 * np.abs(chi[..., 0]).max()  # chi_y carries the response (measured 530x)
    assert symmetry["intrinsic_forbidden_fraction"] < FORBIDDEN_CHI_FRACTION
    assert symmetry["intrinsic_forbidden_is_small"] is True
    # the chain says that the order was chosen, and ran one collinear SCF only
    energies = results["magnetic_energies"].get_dict()
    assert energies["ground_state"] == "interlayer_antiferromagnetic" and energies["selection"] == "fixed"
    assert list(energies["candidates"]) == ["interlayer_antiferromagnetic"]
    # the model keeps its group: |E(k) - E(gk)| and the centres, on the Wannier grid and off it
    report = results["quality_report"].get_dict()
    print({key: value for key, value in report.items() if key not in ("symmetry_operations", "window_choice")})
    assert report["magnetic_group_has_pt"] is True
    assert report["max_pt_pair_splitting_eV"] < 1e-3  # left by pw.x, which cannot impose PT here (demo docstring)
    assert len(report["symmetry_operations"]) == 4
    assert report["max_symmetry_band_deviation_eV"] < 1e-5
    assert report["max_symmetry_band_deviation_off_grid_eV"] < 1e-4
    assert report["max_centre_mismatch_angstrom"] < 1e-3
    assert report["model_keeps_symmetry"] is True
    assert results["tight_binding"].mdrs_applied
    # k-mesh error estimates are stored next to chi, finite and of the same shape
    errors = results["chi"].get_array("chi_kmesh_error")
    assert errors.shape == chi.shape and np.isfinite(errors).all()


@pytest.mark.slow
def test_spin_orbit_scf_starts_from_the_collinear_density(ranked, finished):
    """pw.x reads the ground state's collinear density (the magnetic step's folder) and starts its spin-orbit SCF
    near self-consistency; the demo chain, from atomic densities, starts far from it."""
    assert ranked["node"].is_finished_ok, ranked["node"].exit_message

    def spin_orbit_scf(chain):
        wannierization = chain.base.links.get_outgoing(link_label_filter="wannierization").one().node
        scf = wannierization.base.links.get_outgoing(link_label_filter="scf").one().node
        first = min((node for node in scf.called if isinstance(node, orm.CalcJobNode)), key=lambda node: node.ctime)
        return first, chain.base.links.get_outgoing(link_label_filter="magnetic_configuration").one().node

    def accuracies(calculation):
        output = calculation.outputs.retrieved.base.repository.get_object_content("aiida.out")
        return output, [float(line.split()[-2]) for line in output.splitlines() if "estimated scf accuracy" in line]

    scf, magnetic = spin_orbit_scf(ranked["node"])
    parameters = scf.inputs.parameters.get_dict()
    assert parameters["SYSTEM"]["lforcet"] is True and parameters["ELECTRONS"]["startingpot"] == "file"
    assert scf.inputs.parent_folder.get_remote_path() == magnetic.outputs.remote_folder.get_remote_path()
    output, started = accuracies(scf)
    assert "The initial density is read from file" in output and "convergence has been achieved" in output
    _, from_atoms = accuracies(spin_orbit_scf(finished["node"])[0])
    print("first SCF accuracies (Ry): from the collinear density", started[:3], "from atoms", from_atoms[:3])
    assert started[0] < from_atoms[0] / 10


@pytest.mark.slow
def test_ferromagnet_forbids_chi(ranked):
    results, node = ranked["results"], ranked["node"]
    assert node.is_finished_ok, node.exit_message
    energies = results["magnetic_energies"].get_dict()
    rows = energies["candidates"]
    assert energies["selection"] == "lowest energy"
    assert energies["ground_state"] == min(rows, key=lambda name: rows[name]["energy_eV"]) == "ferromagnetic"
    symmetry = results["summary"]["symmetry"]
    print(
        "forbidden chi",
        symmetry["intrinsic_largest_forbidden_nm_per_ohm"],
        "nm/Ohm; fraction of the uncancelled",
        symmetry["intrinsic_forbidden_fraction"],
    )
    assert symmetry["intrinsic_allowed"] == {"x": False, "y": False}
    assert symmetry["intrinsic_largest_forbidden_nm_per_ohm"] == pytest.approx(
        np.linalg.norm(results["chi"].get_array("chi"), axis=-1).max(), rel=1e-12
    )
    assert symmetry["intrinsic_forbidden_fraction"] < FORBIDDEN_CHI_FRACTION
    report = results["quality_report"].get_dict()
    print({key: value for key, value in report.items() if key not in ("symmetry_operations", "window_choice")})
    assert report["magnetic_group_has_pt"] is False and len(report["symmetry_operations"]) == 12
    # MDRS restores the C3 symmetry that the plain Wigner-Seitz sum of the same aiida_tb.dat breaks (measured: 0.2 eV
    # without, 2 meV with; the rest comes from d functions whose centres C3 mixes)
    operations = [PointOperation(np.array(o["rotation"]), o["time_reversal"]) for o in report["symmetry_operations"]]
    grid = uniform_kpoint_list(ranked["node"].inputs.wannierization.kpoints)
    off_grid = grid + [1 / 16, 1 / 16, 0]
    retrieved = results["tight_binding"].creator.outputs.retrieved
    with tempfile.TemporaryDirectory() as folder:
        for name in ("aiida_tb.dat", "aiida_wsvec.dat"):
            (pathlib.Path(folder) / name).write_text(retrieved.base.repository.get_object_content(name))
        plain = read_tb_dat(pathlib.Path(folder) / "aiida_tb.dat", wsvec=None)
        mdrs = read_tb_dat(pathlib.Path(folder) / "aiida_tb.dat")
    window = tuple(report["frozen_window_eV"])
    plain_deviation = max(band_symmetry_deviation(plain, operations, off_grid, window))
    mdrs_deviation = max(band_symmetry_deviation(mdrs, operations, off_grid, window))
    print("C3 breaking off the grid: plain", plain_deviation, "MDRS", mdrs_deviation)
    assert plain_deviation > 0.05 and mdrs_deviation < 0.05 * plain_deviation
    assert report["max_symmetry_band_deviation_off_grid_eV"] == pytest.approx(mdrs_deviation, rel=1e-6)


@pytest.mark.slow
def test_nickel_bilayer_susceptibility(finished):
    results, node, elapsed, codes = finished["results"], finished["node"], finished["elapsed"], finished["codes"]
    assert node.is_finished_ok, node.exit_message
    for child in node.called_descendants:
        if child.process_label != "PwCalculation":
            print(f"{child.process_label:<36} {child.exit_status} {(child.mtime - child.ctime).total_seconds():7.1f} s")
    print(f"total {elapsed:.1f} s")
    assert all(child.is_finished_ok for child in node.called) and len(node.called) >= 4

    chi, alpha = results["chi"], results["alpha"]
    assert chi.base.attributes.get("units")["chi"] == "nm/Ohm"
    assert alpha.base.attributes.get("units")["alpha"] == "nA nm/K"
    chi_values, alpha_values = chi.get_array("chi"), alpha.get_array("alpha")
    assert chi_values.shape == (2, 1921, 2) and np.isfinite(chi_values).all() and np.isfinite(alpha_values).all()

    summary = results["summary"].get_dict()
    symmetry = results["symmetry"].get_dict()
    assert symmetry["allowed"]["intrinsic_allowed"] == {"x": False, "y": True}
    assert summary["symmetry"]["known"] and summary["symmetry"]["intrinsic_allowed"] == {"x": False, "y": True}
    print("largest |chi|", np.abs(chi_values).max(), "largest |alpha|", np.abs(alpha_values).max())
    # the work chain warns exactly when a forbidden component is not small
    warned = any("symmetry-forbidden component" in log.message for log in orm.Log.collection.get_logs_for(node))
    assert warned == (not summary["symmetry"]["intrinsic_forbidden_is_small"])
    # Mott identity: alpha at 300 K against the Mott integral of chi(T = 0) of the same model (an identity of the
    # model, whatever its symmetry); the residual is the mu quadrature error, linear in the step (0.12 at 0.19 k_B T
    # on this model), so the demo's step is 0.048 k_B T
    mott = summary["mott_identity"]
    print("Mott", mott)
    assert mott["evaluated"] and mott["eta_step_over_kT"] == pytest.approx(0.00125 / (KB_EV_PER_K * 300), rel=1e-6)
    assert mott["relative_residual"] < 0.05

    report = results["quality_report"].get_dict()
    assert report["max_frozen_window_deviation_eV"] < 1e-3
    model = results["tight_binding"]
    assert model.num_wann == 24 and model.spinor

    # provenance: from chi back to the input structure, the pseudopotentials and every code
    structure = node.inputs.structure
    for source, source_type in [(structure, orm.StructureData)] + [
        (code, orm.InstalledCode) for code in codes.values()
    ]:
        query = orm.QueryBuilder()
        query.append(source_type, filters={"uuid": source.uuid}, tag="source")
        query.append(orm.ArrayData, with_ancestors="source", filters={"uuid": chi.uuid})
        assert query.distinct().count() == 1, f"chi does not descend from {source}"
    # ... and the pseudopotential families: the fully relativistic one through the spin-orbit steps, the scalar one
    # through the collinear candidates that chose the ground state
    for label in (FAMILIES["full"][0], FAMILIES["scalar"][0]):
        query = orm.QueryBuilder().append(orm.ArrayData, filters={"uuid": chi.uuid}, tag="chi")
        query.append(UpfData, with_descendants="chi", tag="pseudo")
        query.append(CutoffsPseudoPotentialFamily, with_node="pseudo", filters={"label": label})
        assert query.count() >= 1, f"chi does not descend from a pseudopotential of {label}"
