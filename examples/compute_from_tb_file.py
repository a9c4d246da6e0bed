"""Store a Wannier90 ``seedname_tb.dat`` as a TightBindingData node, run ``orbmag.compute_susceptibility`` on it, and
print chi and alpha with their provenance.

    verdi run examples/compute_from_tb_file.py PATH [--mu EV ...] [--temperature K ...] [--kmesh N1 N2]

Defaults: mu = -0.1 and 0.3 eV, T = 0 and 300 K, a 48x48 k-mesh (the reference model of examples/ is in the gap at
-0.1 eV and metallic at 0.3 eV). On a fresh machine, ``verdi presto`` creates the profile first.
"""

import argparse
import sys

from aiida import orm
from aiida.plugins import CalculationFactory, DataFactory

TightBindingData = DataFactory("orbmag.tight_binding")
compute_susceptibility = CalculationFactory("orbmag.compute_susceptibility")


def main(argv):
    parser = argparse.ArgumentParser(
        prog="verdi run examples/compute_from_tb_file.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("path", help="a Wannier90 seedname_tb.dat of a 2D crystal")
    parser.add_argument("--mu", type=float, action="append", help="chemical potential (eV), repeatable")
    parser.add_argument("--temperature", type=float, action="append", help="temperature (K), repeatable")
    parser.add_argument("--kmesh", type=int, nargs=2, default=[48, 48])
    args = parser.parse_args(argv)

    try:
        model = TightBindingData.from_tb_file(args.path)
    except (OSError, ValueError) as error:
        sys.exit(f"Error: {error}")
    model.store()
    parameters = orm.Dict(
        {
            "chemical_potentials": args.mu or [-0.1, 0.3],
            "temperatures": args.temperature or [0.0, 300.0],
            "kmesh": args.kmesh,
        }
    )
    results, node = compute_susceptibility.run_get_node(tight_binding=model, parameters=parameters)
    print(
        f"TightBindingData<{model.pk}>: {model.num_wann} Wannier functions, {model.num_r_vectors} R vectors, "
        f"from {model.source_filename}"
    )
    print(f"compute_susceptibility<{node.pk}>: {node.process_state.value}, exit status {node.exit_status}")
    if not node.is_finished_ok:
        sys.exit(f"Error: {node.exit_message}")

    chi, alpha = results["chi"], results["alpha"]
    print(f"\n{'T (K)':>8} {'mu (eV)':>9} {'chi_x (nm/Ohm)':>16} {'chi_y (nm/Ohm)':>16} {'alpha_x (nA nm/K)':>18}")
    for t_index, temperature in enumerate(chi.get_array("temperature")):
        for mu_index, mu in enumerate(chi.get_array("mu")):
            c = chi.get_array("chi")[t_index, mu_index]
            a = alpha.get_array("alpha")[t_index, mu_index]
            print(f"{temperature:8.1f} {mu:9.4f} {c[0]:16.6e} {c[1]:16.6e} {a[0]:18.6e}")

    print("\nProvenance:")
    for link in node.base.links.get_incoming().all():
        print(f"  input  {link.link_label:<14} {link.node.__class__.__name__}<{link.node.pk}>")
    for link in node.base.links.get_outgoing().all():
        print(f"  output {link.link_label:<14} {link.node.__class__.__name__}<{link.node.pk}>")
    print(f"\nInspect with: verdi process show {node.pk}   |   verdi node graph generate {node.pk}")


main(sys.argv[1:])
