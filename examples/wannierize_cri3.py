"""Wannierise monolayer (default) or bilayer CrI3 with spin-orbit coupling: ``orbmag.wannierization``.

    aiida-orbmag codes setup && aiida-orbmag pseudos install
    verdi run examples/wannierize_cri3.py [--layers 2] [--protocol fast|balanced|stringent] [--submit]

Monolayer: ferromagnetic, 3 mu_B per Cr along z; bilayer: monoclinic (C2/m) stacking, interlayer antiferromagnetic
(kinds Cr0 / Cr1 from aiida-quantumespresso's create_magnetic_configuration: PT-symmetric, so the quality report
checks the PT-pair splitting). Projections Cr d and I p (56 spinor Wannier functions per layer); the Cr 3s3p and I 5s
bands are excluded. Pseudopotentials: the fully relativistic pslibrary family regenerated offline with ld1.x. With
``--submit`` the work chain goes to the daemon (``verdi daemon start``); otherwise it runs in this process and prints
the quality report.
"""

import argparse

from aiida import orm
from aiida_quantumespresso.calculations.functions.create_magnetic_configuration import (
    create_magnetic_configuration,
)

from aiida_orbmag.calcfunctions.structures import chromium_trihalide
from aiida_orbmag.scripts import add_where_arguments, codes_from_arguments, options_from_arguments
from aiida_orbmag.workflows.common import run_or_submit
from aiida_orbmag.workflows.protocols.utils import DEFAULT_PSEUDO_FAMILY
from aiida_orbmag.workflows.wannierization import WannierizationWorkChain

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--layers", type=int, choices=(1, 2), default=1)
parser.add_argument("--protocol", default="fast", choices=("fast", "balanced", "stringent"))
add_where_arguments(parser, mpiprocs=2, walltime=86400)
parser.add_argument("--submit", action="store_true", help="submit to the daemon instead of running here")
parser.add_argument(
    "--cutoffs", type=float, nargs=2, metavar=("WFC", "RHO"), help="ecutwfc ecutrho (Ry) instead of the family's"
)
args = parser.parse_args()

vacuum = orm.Float(18.0 if args.layers == 1 else 15.0)
structure = chromium_trihalide(orm.Str("I"), orm.Int(args.layers), orm.Str("monoclinic"), vacuum)
if args.layers == 2:  # interlayer antiferromagnet: Cr of the lower layer up, of the upper layer down
    moments = [(3.0 if site.position[2] < 0 else -3.0) if site.kind_name == "Cr" else 0.0 for site in structure.sites]
    configuration = create_magnetic_configuration(structure, orm.List(moments))
    structure, magnetic_moments = configuration["structure"], configuration["magnetic_moments"].get_dict()
else:
    magnetic_moments = {"Cr": 3.0, "I": 0.0}

codes, options = codes_from_arguments(args), options_from_arguments(args)
overrides = {}
if args.cutoffs:
    system = {"pw": {"parameters": {"SYSTEM": {"ecutwfc": args.cutoffs[0], "ecutrho": args.cutoffs[1]}}}}
    overrides = {"scf": system, "nscf": system}
builder = WannierizationWorkChain.get_builder_from_protocol(
    codes,
    structure,
    magnetic_moments,
    protocol=args.protocol,
    overrides=overrides,
    pseudo_family=DEFAULT_PSEUDO_FAMILY,
    projection_orbitals={"Cr": "d", "I": "p"},
    options=options,
)
results, node = run_or_submit(builder, args.submit)
if results is None:
    print(f"submitted {node.process_label}<{node.pk}>; follow it with `verdi process report {node.pk}`")
else:
    print(f"{node.process_label}<{node.pk}> finished with exit status {node.exit_status}: {node.exit_message or 'ok'}")
if results is not None and "quality_report" in results:
    print(results["quality_report"].get_dict())
