"""The whole chain on a tiny system in minutes: ``orbmag.susceptibility`` on a Ni(111) bilayer.

    bash examples/setup_embedded.sh && verdi run examples/quick_demo.py

Magnetic candidates (collinear SCFs: ferromagnet, interlayer antiferromagnet), the spin-orbit Wannier model of the
ground state, its magnetic point group, then chi(mu) and alpha(mu, T) with the Mott check. See
``aiida_orbmag.workflows.demo`` for the system and its settings (Debian's Ni pseudopotentials; nothing to download).
About 3 to 4 minutes on 2 cores.

The bilayer is centrosymmetric and ferromagnetic, so inversion forbids chi altogether: the number to look at is the
forbidden fraction, |chi| over what symmetry-related k-points must cancel (round-off for an exactly symmetric model,
order 1 without the symmetry). A non-zero chi needs broken inversion: ``examples/cri3_bilayer.py``.
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
    symmetry = summary["symmetry"]
    print(
        f"chi allowed along {symmetry['intrinsic_allowed']}; largest |chi| "
        f"{np.abs(chi.get_array('chi')).max():.3e} nm/Ohm, "
        f"forbidden fraction {symmetry['intrinsic_forbidden_fraction']:.1e}"
    )
    mott = summary["mott_identity"]
    if mott["evaluated"]:
        print(f"Mott identity (alpha at T > 0 against chi at T = 0): relative residual {mott['relative_residual']:.1e}")
    print(f"provenance: verdi node graph generate {chi.pk}")
