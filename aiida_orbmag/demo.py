"""The tiny system of the quick demo and of the end-to-end tests: a Ni(111) bilayer, the whole chain in minutes.

Two Ni(111) planes of fcc Ni (a = 2.49 Å in plane, 2.03 Å apart, AB stacked, inversion centre at the origin, 16 Å
cell height), with Debian's ultrasoft Ni pseudopotentials (scalar-relativistic for the collinear step, fully
relativistic for the spin-orbit steps) at 25 / 200 Ry, cold smearing, SCFs on 6x6 k-points, the Wannier model on an
8x8 grid, 24 spinor Wannier functions from Ni s and d.

The demo fixes the interlayer antiferromagnet (it lies about 95 meV per Ni above the ferromagnet: the paper, too,
fixes the order of bilayer CrI3) with the moments in the plane along y, perpendicular to the bilayer's two-fold axis
x. P and T are broken, PT and C2x kept (magnetic point group {E, PT, C2x, M_x T}): chi_y is allowed, chi_x
forbidden, and every band is doubly degenerate, the paper's symmetry class. ``demo_inputs(order=None)`` ranks the
candidates instead: the ferromagnet wins, keeps inversion, and allows no chi at all (kept as an end-to-end test).

What keeps the model faithful to that group (measured on this bilayer, see the README):

- the Wannier functions of the projected subspace (``num_iter = 0``, ``dis_num_iter = 0``): minimising Omega_I
  (``dis_num_iter`` > 0) moves one 4s-like function per layer 0.48 Å off its inversion image, and maximal
  localisation puts them on hollow sites (E(k) against E(gk): up to 0.4 eV);
- wannier90's MDRS interpolation with ``ws_distance_tol`` of 0.01 Å or more (the default, 0.05 Å, is in
  ``workflows/protocols/wannierization.yaml``): with wannier90's 1e-5 Å, ties between replicas were broken unevenly
  and the bands broke C2x and PT by 0.09 and 0.11 eV;
- the inversion centre at the origin: pw.x keeps only operations whose fractional translation fits its FFT grid;
- a degeneracy tolerance of 1e-3 eV for chi: pw.x cannot impose PT here (it would map the kinds Ni0 and Ni1, which
  differ by their moments, onto each other), so the spin-orbit SCF leaves the PT pairs split by up to 5e-4 eV in
  the frozen window; with the default 1e-5 eV those pairs count as distinct bands and the forbidden chi_x reached
  1e-2 of its uncancelled scale, with 1e-3 eV 2e-4.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import numpy as np
from aiida import orm
from aiida_pseudo.data.pseudo.upf import UpfData
from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge

from aiida_orbmag.workflows.protocols.utils import job_options

PSEUDO_DIR = pathlib.Path("/usr/share/espresso/pseudo")
SCALAR_PSEUDO, FULL_PSEUDO = "Ni.pbe-nd-rrkjus.UPF", "Ni.rel-pbe-nd-rrkjus.UPF"
#: Family label and file of the scalar-relativistic (collinear steps) and fully relativistic (spin-orbit) Ni.
FAMILIES = {"scalar": ("orbmag/demo/Ni/SR", SCALAR_PSEUDO), "full": ("orbmag/demo/Ni/FR", FULL_PSEUDO)}
#: Wannier functions of the projected subspace, which keep the bilayer's symmetry (see the module docstring).
WANNIER90_PARAMETERS = {"num_iter": 0, "dis_num_iter": 0}


def nickel_bilayer(a: float = 2.49, spacing: float = 2.03, height: float = 16.0) -> orm.StructureData:
    """Two AB-stacked Ni(111) planes (Å), pbc (True, True, False), with the bilayer's inversion centre at the origin:
    the atoms at -+(0, a/(2 sqrt 3), spacing/2), so that the two-fold axis x and the inversion need no fractional
    translation. (With one atom at the origin they do, and pw.x, which keeps only operations whose translation fits
    its FFT grid, then drops C2x and PT: the spin-orbit SCF was left free to break PT, by 3 meV in the bands.)"""
    cell = np.array([[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, height]])
    structure = orm.StructureData(cell=cell.tolist(), pbc=(True, True, False))
    half = np.array([1 / 6, 1 / 3, 0]) @ cell + [0, 0, spacing / 2]
    structure.append_atom(position=tuple((-half).tolist()), symbols="Ni")
    structure.append_atom(position=tuple(half.tolist()), symbols="Ni")
    return structure


def nickel_family(label: str, filename: str, cutoffs_ry=(25.0, 200.0), directory=PSEUDO_DIR):
    """The aiida-pseudo family ``label`` holding Debian's Ni pseudopotential ``filename``, with the wavefunction and
    charge-density cutoffs ``cutoffs_ry`` (Ry) as its "normal" stringency; made once per profile, then reused."""
    path = pathlib.Path(directory) / filename
    if not path.is_file():
        raise ValueError(f"{path} is missing: apt-get install quantum-espresso-data (Debian).")
    family = orm.QueryBuilder().append(CutoffsPseudoPotentialFamily, filters={"label": label}).first(flat=True)
    if family is None:
        with tempfile.TemporaryDirectory() as folder:
            shutil.copy(path, pathlib.Path(folder) / filename)
            family = CutoffsPseudoPotentialFamily.create_from_folder(pathlib.Path(folder), label, pseudo_type=UpfData)
        family.description = f"Debian's {filename}"
        wfc, rho = cutoffs_ry
        family.set_cutoffs({"Ni": {"cutoff_wfc": wfc, "cutoff_rho": rho}}, stringency="normal", unit="Ry")
    return family


def pseudo_families(directory=PSEUDO_DIR) -> dict[str, CutoffsPseudoPotentialFamily]:
    """``{"scalar": ..., "full": ...}``: Debian's Ni ultrasoft pseudopotentials as the aiida-pseudo families
    :data:`FAMILIES` with the demo's cutoffs, so that a query from chi reaches the family."""
    return {key: nickel_family(label, filename, directory=directory) for key, (label, filename) in FAMILIES.items()}


def pseudos(directory=PSEUDO_DIR) -> dict[str, UpfData]:
    """``{"scalar": ..., "full": ...}``: the Ni UpfData of :func:`pseudo_families`."""
    return {key: family.get_pseudo("Ni") for key, family in pseudo_families(directory).items()}


def pw_parameters(calculation: str, spin_orbit: bool) -> dict:
    """pw.x parameters of the demo (25 / 200 Ry, cold smearing 0.02 Ry, 2D Coulomb cutoff)."""
    system = {
        "ecutwfc": 25.0,
        "ecutrho": 200.0,
        "occupations": "smearing",
        "smearing": "cold",
        "degauss": 0.02,
        "assume_isolated": "2D",
    }
    if spin_orbit:
        system.update({"noncolin": True, "lspinorb": True})
    return {
        "CONTROL": {"calculation": calculation},
        "SYSTEM": system,
        "ELECTRONS": {"conv_thr": 1e-8, "mixing_beta": 0.3},
    }


#: The demo's magnetic state: the interlayer antiferromagnet, fixed (not ranked), moments in the plane along y,
#: perpendicular to the bilayer's two-fold axis x. P and T are broken, PT and C2x kept: only chi_y is allowed.
DEMO_ORDER, DEMO_SPIN_AXIS = "interlayer_antiferromagnetic", (90.0, 90.0)
#: NSCF / Wannier grid (off-grid interpolation error in the frozen window: 0.15 eV on 8x8, 0.6 eV on 6x6).
WANNIER_GRID = (8, 8)
#: k-mesh of chi and the degeneracy tolerance above the PT-pair splitting that pw.x leaves (module docstring).
CHI_KMESH, DEGENERACY_TOL_EV = (144, 144), 1e-3


def demo_inputs(
    codes: dict,
    mpiprocs: int = 2,
    order: str | None = DEMO_ORDER,
    spin_axis=DEMO_SPIN_AXIS,
    options: dict | None = None,
) -> dict:
    """Inputs of ``orbmag.susceptibility`` for the Ni bilayer; ``codes``: pw, pw2wannier90, wannier90.

    :param order: the magnetic order to fix (a generated candidate's name), or None to rank all candidates.
    :param spin_axis: (theta, phi) of the moments with spin-orbit coupling, degrees.
    :param options: scheduler options of every job (account, queue_name, ...) over ``mpiprocs`` ranks and one hour.
    """
    files = pseudos()
    kpoints, wannier_grid = orm.KpointsData(), orm.KpointsData()
    kpoints.set_kpoints_mesh([6, 6, 1])
    wannier_grid.set_kpoints_mesh(list(WANNIER_GRID) + [1])
    defaults = {"resources": {"num_machines": 1, "num_mpiprocs_per_machine": mpiprocs}, "max_wallclock_seconds": 3600}
    options = recursive_merge(defaults, options or {})

    def pw(calculation, spin_orbit):
        pseudo = files["full" if spin_orbit else "scalar"]
        namespace = {
            "pw": {
                "code": codes["pw"],
                "parameters": orm.Dict(pw_parameters(calculation, spin_orbit)),
                "pseudos": {"Ni": pseudo},
                "metadata": {"options": job_options(codes["pw"], options)},
            }
        }
        if calculation == "scf":
            namespace["kpoints"] = kpoints
        return namespace

    return {
        "structure": nickel_bilayer(),
        "magnetic": {
            "scf": pw("scf", False),
            "moment": orm.Float(1.0),
            **({"fixed_order": orm.Str(order)} if order else {}),
        },
        "spin_axis": orm.List([float(a) for a in spin_axis]),
        "wannierization": {
            "scf": pw("scf", True),
            "nscf": pw("nscf", True),
            "pw2wannier90": {
                "code": codes["pw2wannier90"],
                "metadata": {"options": job_options(codes["pw2wannier90"], options)},
            },
            "wannier90": {
                "wannier90": {
                    "code": codes["wannier90"],
                    "metadata": {"options": job_options(codes["wannier90"], options)},
                }
            },
            "wannier90_parameters": orm.Dict(WANNIER90_PARAMETERS),
            "kpoints": wannier_grid,
        },
        "susceptibility_parameters": orm.Dict(
            {
                # mu +- 30 k_B T at 300 K must fit inside the grid for the Mott check; its residual is the error of the
                # mu quadrature, linear in the step (measured: 0.12, 0.055, 0.023 at 0.19, 0.097, 0.048 k_B T);
                # 1.25 meV = 0.048 k_B T costs nothing extra (binned occupation sums)
                "chemical_potential_range": [-1.2, 1.2, 1921],
                "relative_to_fermi_energy": True,
                "temperatures": [0.0, 300.0],
                "kmesh": list(CHI_KMESH),
                "kmesh_error": True,
                "degeneracy_tol": DEGENERACY_TOL_EV,
            }
        ),
    }
