"""The whole chain on a tiny system in minutes: ``orbmag.susceptibility`` on a Ni(111) bilayer.

    bash examples/setup_embedded.sh && verdi run examples/quick_demo.py
    verdi run examples/quick_demo.py --computer cluster --account proj42 --submit    # elsewhere, via the daemon

The interlayer antiferromagnet, fixed (not ranked), with the moments in the plane along y: P and T broken, PT and the
two-fold axis x kept, so chi_y is allowed and chi_x forbidden (the paper's symmetry class). Steps: the collinear SCF
of that order, the spin-orbit Wannier model (8x8 grid, MDRS interpolation), its magnetic point group and symmetry
report, then chi(mu) and alpha(mu, T) with the k-mesh error and the Mott check. See ``aiida_orbmag.demo``
for the system and why each setting keeps the model symmetric (Debian's Ni pseudopotentials; nothing to download).
About 4 to 5 minutes on 2 cores.
"""

import argparse

import numpy as np
from aiida.engine import run_get_node, submit

from aiida_orbmag.demo import demo_inputs
from aiida_orbmag.scripts import add_where_arguments, codes_from_arguments, options_from_arguments
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
add_where_arguments(parser, mpiprocs=2, walltime=3600)
parser.add_argument("--submit", action="store_true", help="submit to the daemon, print the PK, and return")
args = parser.parse_args()

inputs = demo_inputs(codes_from_arguments(args), options=options_from_arguments(args))
if args.submit:
    node = submit(SusceptibilityWorkChain, **inputs)
    print(f"Submitted SusceptibilityWorkChain<{node.pk}>: `verdi process show {node.pk}` to follow it")
    raise SystemExit(0)
results, node = run_get_node(SusceptibilityWorkChain, **inputs)
print(f"SusceptibilityWorkChain<{node.pk}> finished with exit status {node.exit_status}: {node.exit_message or 'ok'}")
if node.is_finished_ok:
    energies = results["magnetic_energies"].get_dict()
    print(f"magnetic order: {energies['ground_state']} ({energies['selection']})")
    quality = results["quality_report"].get_dict()
    print(
        f"Wannier model: frozen-window error {quality['max_frozen_window_deviation_eV']:.1e} eV on the grid, "
        f"{quality['max_frozen_window_deviation_off_grid_eV']:.2f} eV off it; PT-pair splitting "
        f"{quality['max_pt_pair_splitting_eV']:.1e} eV"
    )
    print(
        f"model symmetry: max |E(k) - E(gk)| over the {len(quality['symmetry_operations'])} operations "
        f"{quality['max_symmetry_band_deviation_eV']:.1e} eV on the grid, "
        f"{quality['max_symmetry_band_deviation_off_grid_eV']:.1e} eV off it; Wannier centres mapped to within "
        f"{quality['max_centre_mismatch_angstrom']:.1e} A"
    )
    chi, summary = results["chi"], results["summary"].get_dict()
    symmetry = summary["symmetry"]
    allowed = [axis for axis, yes in symmetry["intrinsic_allowed"].items() if yes]
    mu, values = chi.get_array("mu"), chi.get_array("chi")
    errors = chi.get_array("chi_kmesh_error")
    fermi = results["tight_binding"].fermi_energy
    at_fermi = int(np.argmin(np.abs(mu - fermi)))
    for index, temperature in enumerate(chi.get_array("temperature")):
        for axis in allowed:
            a = "xy".index(axis)
            value, error = values[index, at_fermi, a], errors[index, at_fermi, a]
            verdict = "converged" if error < 0.1 * abs(value) else "NOT converged at this k-mesh"
            print(
                f"chi_{axis}(E_F, {temperature:.0f} K) = {value:.2e} +- {error:.1e} nm/Ohm (k-mesh error, {verdict}); "
                f"largest |chi_{axis}| {np.abs(values[index, :, a]).max():.2e} nm/Ohm"
            )
    print(
        f"chi allowed along {allowed}; forbidden fraction {symmetry['intrinsic_forbidden_fraction']:.1e} "
        "(|forbidden chi| over what symmetry-related k-points must cancel)"
    )
    mott = summary["mott_identity"]
    if mott["evaluated"]:
        print(f"Mott identity (alpha at T > 0 against chi at T = 0): relative residual {mott['relative_residual']:.1e}")
    print(f"provenance: verdi node graph generate {chi.pk}")
