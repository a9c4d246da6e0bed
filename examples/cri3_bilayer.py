"""Bilayer CrI3, the whole chain: ``orbmag.susceptibility`` from the structure to chi(mu) and alpha(mu, T).

    aiida-orbmag codes setup && aiida-orbmag pseudos install
    verdi run examples/cri3_bilayer.py [--protocol fast|balanced|stringent] [--cutoffs 30 240] [--relax]
                                       [--order interlayer_antiferromagnetic|ferromagnetic|neel|rank] [--submit]

The structure: two CrI3 layers in monoclinic (C2/m) stacking (``chromium_trihalide``, 16 atoms, 15 Å of vacuum,
centred on z = 0). The chain:

1. optional in-plane relaxation (``--relax``: PwRelaxWorkChain, collinear ferromagnet, scalar-relativistic);
2. ``orbmag.magnetic_configuration``: the collinear SCF of the interlayer antiferromagnet, fixed as in the paper
   ("we fix the magnetic configuration": its competitors lie well under 1 meV per Cr away), with the
   scalar-relativistic family; ``--order rank`` runs the generated candidates (ferromagnet, interlayer
   antiferromagnet, in-plane Neel) instead and takes the lowest in energy. For the
   interlayer antiferromagnet of the monoclinic stacking, inversion survives only as PT and the in-plane twofold axis
   survives, so chi is allowed perpendicular to that axis and forbidden along it (Xiao et al.): the symmetry report
   names the allowed component and the forbidden fraction;
3. ``orbmag.wannierization`` of the ground state with spin-orbit coupling (fully relativistic family regenerated
   offline with ld1.x), moments along the layer normal, projections Cr d and I p: 112 spinor Wannier functions;
4. ``orbmag.compute_susceptibility`` on the protocol's k-mesh, with the magnetic point group's allowed components
   and the Mott check.

Where: ``--computer LABEL`` runs on the codes ``pw@LABEL`` etc. (``aiida-orbmag codes setup --computer LABEL``
registers them; default localhost), ``--codes KEY=CODE`` picks others; ``--mpiprocs``, ``--num-machines``,
``--walltime``, ``--account`` and ``--queue`` reach every job (README, "On a cluster").

Runtime and status on the 2-core development machine (docs/topics/measured.md): the collinear antiferromagnetic SCF
of step 2 takes 16 minutes at 30/240 Ry with 4 k-points. With Debian's pw.x 6.7 the fully relativistic PAW files
(the default family) break the spin-orbit SCF of every 16-atom cell tried; their ultrasoft twins
(``aiida-orbmag pseudos install --ultrasoft``, ``--pseudo-family orbmag/pslibrary-1.0.0/PBE/FR-US``) do not, but
from atomic densities the bilayer's spin-orbit SCF stalls near 3e-3 Ry. ``--spin-orbit-from-collinear`` starts it
from the collinear ground state's density instead, at 3.7e-3 Ry; it reaches 3.8e-5 Ry in five iterations and then
stalls, so the run of record stops it there with ``--spin-orbit-conv-thr 5e-5`` (3e-6 Ry per atom). The run of record
(examples/data/cri3_bilayer/README.md has every step's settings and wall time):

    verdi run examples/cri3_bilayer.py --cutoffs 30 240 --scf-kpoints-distance 0.4 --frozen-margin 3.0
        --pseudo-family orbmag/pslibrary-1.0.0/PBE/FR-US --spin-orbit-mixing 0.2 12 --spin-orbit-conv-thr 5e-5
        --spin-orbit-from-collinear --submit

(``--pseudo-family orbmag/pslibrary-1.0.0/PBE/FR-I_SR-Cr``, scalar-relativistic Cr and fully relativistic I, is the
older PAW way round, not shown to converge.) Measured on 2 cores, with the collinear steps from the cache: spin-orbit
SCF 15 min, NSCF (9 k-points, 196 bands) 31 min, pw2wannier90 11 min, wannier90 2 min, the off-grid bands check 30 to
40 min; chi on the fast protocol's 48x48 mesh at N_w = 112 takes a few minutes (``benchmarks/kernel.py``). The
figures of the paper's Fig. 2 come from the exported model: ``examples/export_model.py`` then
``examples/cri3_bilayer_fig2.sh``.
"""

import argparse

from aiida import orm

from aiida_orbmag.calcfunctions.structures import chromium_trihalide
from aiida_orbmag.scripts import add_where_arguments, codes_from_arguments, options_from_arguments
from aiida_orbmag.workflows.common import run_or_submit
from aiida_orbmag.workflows.susceptibility import SusceptibilityWorkChain

#: Spin-orbit family with Cr scalar-relativistic and I fully relativistic: with Debian's pw.x 6.7 the fully relativistic
#: Cr PAW file makes the first Hamiltonian of any 16-atom magnetic cell wrong (docs/topics/measured.md).
MIXED_FAMILY = "orbmag/pslibrary-1.0.0/PBE/FR-I_SR-Cr"


def mixed_family(label: str) -> str:
    """``label``; :data:`MIXED_FAMILY` is first made from the installed SR (Cr) and FR (I) families if missing."""
    from aiida_orbmag.pseudos import install_family
    from aiida_orbmag.workflows.protocols.utils import DEFAULT_COLLINEAR_PSEUDO_FAMILY, DEFAULT_PSEUDO_FAMILY

    if label == MIXED_FAMILY:
        scalar, full = orm.load_group(DEFAULT_COLLINEAR_PSEUDO_FAMILY), orm.load_group(DEFAULT_PSEUDO_FAMILY)
        pseudos = {"Cr": scalar.get_pseudo("Cr"), "I": full.get_pseudo("I")}
        install_family(label, pseudos, "scalar-relativistic Cr and fully relativistic I (spin-orbit on I only)")
    return label


def set_pw(namespace: dict, card: str, values: dict) -> None:
    """Merge ``values`` into the pw.x namelist ``card`` of the PwBaseWorkChain overrides ``namespace``."""
    namespace.setdefault("pw", {}).setdefault("parameters", {}).setdefault(card, {}).update(values)


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--protocol", default="fast", choices=("fast", "balanced", "stringent"))
add_where_arguments(parser, mpiprocs=2, walltime=86400)
parser.add_argument(
    "--cutoffs", type=float, nargs=2, metavar=("WFC", "RHO"), help="ecutwfc ecutrho (Ry) instead of the family's"
)
parser.add_argument(
    "--spin-orbit-cutoffs",
    type=float,
    nargs=2,
    metavar=("WFC", "RHO"),
    help="ecutwfc ecutrho (Ry) of the spin-orbit SCF and the NSCF only (the collinear step keeps --cutoffs, and its "
    "cached result): ultrasoft files want the charge-density cutoff ld1.x suggests (457 Ry for Cr)",
)
parser.add_argument(
    "--scf-kpoints-distance",
    type=float,
    metavar="DK",
    help="k-point spacing (1/Å) of both SCF steps (collinear and spin-orbit) instead of the protocol's",
)
parser.add_argument(
    "--frozen-margin",
    type=float,
    metavar="EV",
    help="top of the frozen window above E_F (eV) instead of the protocol's; it stops under the first state "
    "beyond the manifold, so a large value freezes a whole isolated d+p manifold",
)
parser.add_argument(
    "--pseudo-family",
    default=None,
    metavar="LABEL",
    help="family of the spin-orbit steps instead of the fully relativistic default, e.g. "
    f"{MIXED_FAMILY} (scalar-relativistic Cr, fully relativistic I; made here if missing, see the module docstring)",
)
parser.add_argument(
    "--spin-orbit-mixing",
    type=float,
    nargs=2,
    metavar=("BETA", "NDIM"),
    help="mixing_beta and mixing_ndim of the spin-orbit SCF instead of the protocol's 0.2 and pw.x's 8 (at Gamma, "
    "0.1 and 12 carried the mixed family's bilayer past the fourth iteration where 0.2 had jumped to 104 Ry)",
)
parser.add_argument(
    "--spin-orbit-conv-thr",
    type=float,
    metavar="RY",
    help="conv_thr of the spin-orbit SCF instead of the protocol's 2e-7 Ry per atom",
)
parser.add_argument(
    "--spin-orbit-from-collinear",
    action="store_true",
    help="start the spin-orbit SCF from the collinear ground state's converged density (pw.x lforcet) instead of "
    "atomic densities: needs the same ecutrho in both steps (so no --spin-orbit-cutoffs)",
)
parser.add_argument("--relax", action="store_true", help="relax the in-plane cell first")
parser.add_argument(
    "--order",
    default="interlayer_antiferromagnetic",
    choices=("interlayer_antiferromagnetic", "ferromagnetic", "neel", "rank"),
    help="the magnetic order to fix (default: the paper's), or 'rank' to compare the candidates",
)
parser.add_argument("--dry-run", action="store_true", help="build the inputs and print them, run nothing")
parser.add_argument("--submit", action="store_true", help="submit to the daemon instead of running here")
args = parser.parse_args()
if args.spin_orbit_from_collinear and args.spin_orbit_cutoffs:
    if not args.cutoffs or args.spin_orbit_cutoffs[1] != args.cutoffs[1]:
        parser.error("--spin-orbit-from-collinear needs the collinear ecutrho: drop --spin-orbit-cutoffs")

structure = chromium_trihalide(orm.Str("I"), orm.Int(2), orm.Str("monoclinic"), orm.Float(15.0))
codes, options = codes_from_arguments(args), options_from_arguments(args)
overrides = {"magnetic": {"scf": {}}, "wannierization": {"scf": {}, "nscf": {}}}
magnetic_scf = overrides["magnetic"]["scf"]
spin_orbit_scf, nscf = overrides["wannierization"]["scf"], overrides["wannierization"]["nscf"]
if args.cutoffs:
    for namespace in (magnetic_scf, spin_orbit_scf, nscf):
        set_pw(namespace, "SYSTEM", {"ecutwfc": args.cutoffs[0], "ecutrho": args.cutoffs[1]})
if args.spin_orbit_cutoffs:
    for namespace in (spin_orbit_scf, nscf):
        set_pw(namespace, "SYSTEM", {"ecutwfc": args.spin_orbit_cutoffs[0], "ecutrho": args.spin_orbit_cutoffs[1]})
if args.scf_kpoints_distance:
    magnetic_scf["kpoints_distance"] = spin_orbit_scf["kpoints_distance"] = args.scf_kpoints_distance
if args.frozen_margin is not None:
    overrides["wannierization"]["frozen_margin"] = args.frozen_margin
if args.spin_orbit_mixing:
    beta, ndim = args.spin_orbit_mixing
    set_pw(spin_orbit_scf, "ELECTRONS", {"mixing_beta": beta, "mixing_ndim": int(ndim)})
if args.spin_orbit_conv_thr is not None:
    set_pw(spin_orbit_scf, "ELECTRONS", {"conv_thr": args.spin_orbit_conv_thr})
builder = SusceptibilityWorkChain.get_builder_from_protocol(
    codes,
    structure,
    protocol=args.protocol,
    overrides=overrides,
    projection_orbitals={"Cr": "d", "I": "p"},
    options=options,
    run_relax=args.relax,
    **({"pseudo_family": mixed_family(args.pseudo_family)} if args.pseudo_family else {}),
)
if args.spin_orbit_from_collinear:
    builder.spin_orbit_from_collinear = orm.Bool(True)
if args.order != "rank":
    builder.magnetic.fixed_order = orm.Str(args.order)
if args.dry_run:
    print(builder)
    raise SystemExit(0)
results, node = run_or_submit(builder, args.submit)
if results is None:
    print(f"submitted {node.process_label}<{node.pk}>; follow it with `verdi process report {node.pk}`")
else:
    print(f"{node.process_label}<{node.pk}> finished with exit status {node.exit_status}: {node.exit_message or 'ok'}")
if results is not None and node.is_finished_ok:
    energies = results["magnetic_energies"].get_dict()
    print(f"magnetic order: {energies['ground_state']} ({energies['selection']})")
    print("symmetry:", results["symmetry"].get_dict())
    print("largest chi:", results["summary"].get_dict()["largest_chi"])
    print(f"provenance: verdi node graph generate {results['chi'].pk}")
