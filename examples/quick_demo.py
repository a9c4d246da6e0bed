"""The whole chain on a tiny system in minutes: ``orbmag.susceptibility`` on a Ni(111) bilayer.

    aiida-orbmag codes setup && verdi run examples/quick_demo.py

Magnetic candidates (collinear SCFs: ferromagnet, interlayer antiferromagnet), the spin-orbit Wannier model of the
ground state, its magnetic point group, then chi(mu) and alpha(mu, T). See ``aiida_orbmag.workflows.demo`` for the
system and its settings (Debian's Ni pseudopotentials; nothing to download). About 6 minutes on 2 cores.

The bilayer is centrosymmetric, so chi is symmetry-forbidden; the demo's Wannier model breaks that symmetry off the
6x6 grid and the work chain says so in its report (a known limitation of this tiny system, see the README).
"""

import numpy as np
from aiida.engine import run_get_node

from aiida_orbmag.codes import setup_localhost_codes
from aiida_orbmag.workflows.demo import demo_inputs
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

codes = setup_localhost_codes(("pw", "pw2wannier90", "wannier90"))
results, node = run_get_node(SusceptibilityWorkChain, **demo_inputs(codes))
print(f"SusceptibilityWorkChain<{node.pk}> finished with exit status {node.exit_status}: {node.exit_message or 'ok'}")
if node.is_finished_ok:
    energies = results["magnetic_energies"].get_dict()
    print(f"magnetic ground state: {energies['ground_state']}")
    for name, row in energies["candidates"].items():
        print(f"  {name:<30} {row.get('relative_energy_meV_per_magnetic_atom', float('nan')):8.1f} meV/Ni")
    quality = results["quality_report"].get_dict()
    print(
        f"Wannier model: frozen-window error {quality['max_frozen_window_deviation_eV']:.1e} eV on the grid, "
        f"{quality.get('max_frozen_window_deviation_off_grid_eV', float('nan')):.2f} eV off it"
    )
    chi = results["chi"]
    summary = results["summary"].get_dict()
    print(
        f"chi allowed along {summary['symmetry']['intrinsic_allowed']}; largest |chi| "
        f"{np.abs(chi.get_array('chi')).max():.3e} nm/Ohm"
    )
    print(f"provenance: verdi node graph generate {chi.pk}")
