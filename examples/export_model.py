"""Keep what a finished ``orbmag.susceptibility`` chain made: its Wannier model and the record of how it was made.

    verdi run examples/export_model.py PK --doped-mu EV [--out examples/data/cri3_bilayer]

PK is the chain (for the paper's example, the one ``examples/cri3_bilayer.py`` ran). Written under ``--out``:

- ``aiida_tb.dat.gz`` and ``aiida_wsvec.dat.gz``: wannier90's files as the Wannier90Calculation retrieved them
  (gzip without a time stamp, so a rerun on the same node writes the same bytes);
- ``model.json``: the Fermi energy the model's energies refer to, the band gap on the NSCF grid, the doped point
  ``--doped-mu`` (μ − E_F in eV, the figure script's α(T) and Λ(k) point), the spreads and the quality report of
  the Wannierization, and the wall time of every calculation of the chain (``cached`` when it came from the cache);
- ``provenance.json``: ``aiida-orbmag provenance PK``'s report (codes and versions, every step's parameters, the
  pseudopotentials and their checksums);
- ``README.md``: the same record for a reader: every calculation's DFT settings and wall time (a cached step gives
  the wall time of the run it was copied from), the pseudopotentials, the Fermi level, the band edges on the NSCF grid
  and on a 60x60 grid of the Wannier model, the model's PT-pair splitting and the degeneracy tolerance it calls for,
  the spreads and the quality report. ``--command`` adds the command line that launched the chain.

``examples/cri3_bilayer_fig2.sh`` reads them from ``examples/data/cri3_bilayer``.
"""

import argparse
import gzip
import json
import pathlib
import tempfile

import numpy as np
from aiida import orm

from aiida_orbmag.calcfunctions.magnetic_symmetry import degeneracy_tol_for_pt, pt_pair_splitting_of_model
from aiida_orbmag.io.wannier90 import read_tb_dat
from aiida_orbmag.physics.bands import band_energies, band_energies_on_grid
from aiida_orbmag.physics.disentanglement import excluded_count, manifold_deviation
from aiida_orbmag.tools.provenance import provenance_report
from aiida_orbmag.tools.results import band_edges_by_count, band_gap

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("pk", type=int, help="the orbmag.susceptibility chain")
parser.add_argument("--doped-mu", type=float, required=True, metavar="EV", help="the doped point, mu - E_F (eV)")
parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("examples/data/cri3_bilayer"))
parser.add_argument("--command", default=None, help="the command line that launched the chain, for the README")
args = parser.parse_args()

chain = orm.load_node(args.pk)
if not (chain.is_finished_ok and "tight_binding" in chain.outputs):
    raise SystemExit(f"{chain.process_label}<{chain.pk}> has no finished Wannier model (state {chain.process_state})")
outputs = chain.outputs
wannier90 = outputs.tight_binding.creator  # the Wannier90Calculation that wrote this model
calculations = sorted(
    (node for node in chain.called_descendants if isinstance(node, orm.CalcJobNode)), key=lambda node: node.ctime
)
args.out.mkdir(parents=True, exist_ok=True)
for name in ("aiida_tb.dat", "aiida_wsvec.dat"):
    content = wannier90.outputs.retrieved.base.repository.get_object_content(name, mode="rb")
    with open(args.out / f"{name}.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as stream:
        stream.write(content)


def wall_time(node: orm.CalcJobNode) -> float | None:
    """Seconds ``node`` ran: its parsed wall time, else the node's lifetime."""
    parameters = node.outputs.output_parameters.get_dict() if "output_parameters" in node.outputs else {}
    seconds = parameters.get("wall_time_seconds")
    return round(float(seconds if seconds is not None else (node.mtime - node.ctime).total_seconds()), 1)


def timing(node: orm.CalcJobNode) -> dict:
    """The wall time of ``node``, or, for a step taken from the cache, that of the run it was copied from."""
    source = node.base.caching.get_cache_source()
    if source is None:
        return {"wall_time_s": wall_time(node)}
    original = orm.load_node(source)
    return {"cached_from": f"{original.process_label}<{original.pk}>", "wall_time_s": wall_time(original)}


def band_edges(energies: np.ndarray, fermi: float, occupied: int) -> dict:
    """Top of the ``occupied`` lowest states and bottom of the rest, relative to ``fermi`` (eV), and the gap between.

    By count, not by E_F: pw.x's smeared Fermi level of an insulator can lie a few meV inside a band edge."""
    top, bottom = (edge - fermi for edge in band_edges_by_count(energies, occupied))
    return {"valence_top_eV": round(top, 6), "conduction_bottom_eV": round(bottom, 6), "gap_eV": round(bottom - top, 6)}


def settings(node: orm.CalcJobNode) -> str:
    """One line of the DFT settings that matter for the model: cutoffs, k-points, thresholds, bands, U."""
    if "parameters" not in node.inputs:
        return ""
    parameters = node.inputs.parameters.get_dict()
    system, electrons = parameters.get("SYSTEM", {}), parameters.get("ELECTRONS", {})
    control = parameters.get("CONTROL", {})
    words = [control.get("calculation", "")] if control else []
    if "ecutwfc" in system:
        words.append(f"ecutwfc/ecutrho {system['ecutwfc']:g}/{system.get('ecutrho', 4 * system['ecutwfc']):g} Ry")
    if "kpoints" in node.inputs:
        try:
            mesh, _ = node.inputs.kpoints.get_kpoints_mesh()
            words.append("k " + "x".join(str(n) for n in mesh))
        except AttributeError:
            words.append(f"{len(node.inputs.kpoints.get_kpoints())} k-points")
    for key, label in (("nspin", "nspin"), ("nbnd", "nbnd"), ("degauss", "degauss")):
        if key in system:
            words.append(f"{label} {system[key]}")
    if system.get("noncolin"):
        words.append("noncollinear" + (" + spin-orbit" if system.get("lspinorb") else ""))
    for key in ("conv_thr", "mixing_beta", "mixing_ndim", "startingpot"):
        if key in electrons:
            words.append(f"{key} {electrons[key]}")
    words.append("Hubbard U " + ("yes" if system.get("lda_plus_u") or "HUBBARD" in parameters else "none"))
    if "INPUTPP" in parameters:
        return ", ".join(f"{key} {value}" for key, value in parameters["INPUTPP"].items())
    if node.process_type.endswith("wannier90"):
        words = [f"{key} {parameters[key]}" for key in ("num_wann", "num_bands", "dis_froz_max", "dis_num_iter",
                                                       "num_iter") if key in parameters]  # fmt: skip
    return ", ".join(words)


fermi = float(outputs.tight_binding.fermi_energy)
with tempfile.TemporaryDirectory() as folder:  # read back what was written: the model as users will load it
    for name in ("aiida_tb.dat.gz", "aiida_wsvec.dat.gz"):
        (pathlib.Path(folder) / name).write_bytes((args.out / name).read_bytes())
    tight_binding = read_tb_dat(pathlib.Path(folder) / "aiida_tb.dat.gz")
wannier_energies = band_energies_on_grid(tight_binding, (60, 60))
nscf_energies = np.asarray(outputs.band_structure.get_bands(), dtype=float) if "band_structure" in outputs else None
# one electron per spinor band: the occupied count of the DFT bands, and of the model above the excluded ones
nscf_calculation = next(
    node
    for node in calculations
    if "parameters" in node.inputs and node.inputs.parameters.get_dict().get("CONTROL", {}).get("calculation") == "nscf"
)
electrons = round(nscf_calculation.outputs.output_parameters["number_of_electrons"])
first_model_band = excluded_count(outputs.quality_report["window_choice"].get("exclude_bands"))
occupied_model = electrons - first_model_band
# the model against the DFT states it stands for, band by band (its manifold is isolated), on the NSCF grid and off it
wannierization = next(node for node in chain.called if node.process_label == "WannierizationWorkChain")
manifold = {}
for name, label in (("nscf_bands", "nscf_grid"), ("check_bands", "off_grid")):
    if name in wannierization.outputs:
        bands = wannierization.outputs[name]
        interpolated = band_energies(tight_binding, bands.get_kpoints())
        manifold[label] = manifold_deviation(bands.get_bands(), interpolated, first_model_band)
# the PT pairs that a DFT code which cannot impose PT leaves split (only where the magnetic group has PT)
has_pt = bool(outputs.quality_report.get_dict().get("magnetic_group_has_pt"))
pair_splitting = pt_pair_splitting_of_model(tight_binding) if has_pt else 0.0
timings = {f"{node.process_label}<{node.pk}>": timing(node) for node in calculations}
model = {
    "chain": {"pk": chain.pk, "uuid": chain.uuid},
    "command": args.command,
    "fermi_energy_eV": fermi,
    "band_gap_nscf_grid_eV": band_gap(outputs.band_structure, fermi) if nscf_energies is not None else None,
    "band_edges_nscf_grid": band_edges(nscf_energies, fermi, electrons) if nscf_energies is not None else None,
    "band_edges_wannier_60x60": band_edges(wannier_energies, fermi, occupied_model),
    "manifold_deviation_eV": manifold,
    "doped_mu_minus_fermi_eV": args.doped_mu,
    "pt_pair_splitting_24x24_eV": pair_splitting if has_pt else None,
    "degeneracy_tol_eV": degeneracy_tol_for_pt(pair_splitting),
    "num_wann": outputs.tight_binding.num_wann,
    "quality_report": outputs.quality_report.get_dict(),
    "spreads": wannier90.outputs.output_parameters.get_dict(),  # the Wannierization's spreads output
    "wall_times_s": {name: entry["wall_time_s"] for name, entry in timings.items()},
    "cached_from": {name: entry["cached_from"] for name, entry in timings.items() if "cached_from" in entry},
}
(args.out / "model.json").write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
report = provenance_report(chain)
(args.out / "provenance.json").write_text(json.dumps(report, indent=1, sort_keys=True, default=str) + "\n")


def number(value) -> str:
    """``value`` for a reader: floats to 3 significant digits (lists element-wise), None as "not reported"."""
    if value is None:
        return "not reported"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(number(item) for item in value) + "]"
    return str(value)


def readme() -> str:
    """The model's README: what it is, how it was made, how good it is."""
    spreads, quality = model["spreads"], model["quality_report"]
    edges = [("NSCF grid", model["band_edges_nscf_grid"]), ("Wannier model, 60x60", model["band_edges_wannier_60x60"])]
    lines = [
        f"# Wannier model of {chain.process_label}<{chain.pk}> (uuid {chain.uuid})",
        "",
        "Written by `examples/export_model.py`; regenerate it with `verdi run examples/export_model.py "
        f"{chain.pk} --doped-mu {args.doped_mu:g}` on the profile that ran the chain.",
        "",
    ]
    if args.command:
        lines += ["The chain was launched with", "", f"    {args.command}", ""]
    lines += [
        "## Model",
        "",
        f"- {model['num_wann']} Wannier functions, {len(tight_binding.r_vectors)} R vectors; wannier90's "
        "`aiida_tb.dat` and `aiida_wsvec.dat` (MDRS shifts), gzip.",
        f"- Fermi energy (pw.x, the energy zero of every figure): {fermi:.4f} eV.",
        f"- Doped point of the figures: mu - E_F = {args.doped_mu:g} eV.",
        f"- PT-pair splitting of the model on a 24x24 grid: {pair_splitting:.3g} eV; degeneracy tolerance of the "
        f"figures: {model['degeneracy_tol_eV']:.3g} eV (twice that, so that the pairs are clusters)."
        if has_pt
        else f"- No PT in the magnetic group: degeneracy tolerance {model['degeneracy_tol_eV']:.3g} eV.",
    ]
    for where, edge in edges:
        if edge:
            lines.append(
                f"- Band edges on the {where}: valence top {edge['valence_top_eV']:+.4f} eV, conduction bottom "
                f"{edge['conduction_bottom_eV']:+.4f} eV from E_F; gap {edge['gap_eV']:.4f} eV."
            )
    if manifold:
        lines.append(
            f"- The model against the {model['num_wann']} DFT states it stands for, band by band: largest deviation "
            + ", ".join(f"{number(value)} eV on the {label.replace('_', ' ')}" for label, value in manifold.items())
            + "."
        )
    lines += [
        f"- Spreads (Å²): Omega_I {number(spreads.get('Omega_I'))}, Omega_D {number(spreads.get('Omega_D'))}, "
        f"Omega_OD {number(spreads.get('Omega_OD'))}, total {number(spreads.get('Omega_Total'))}; "
        f"disentanglement converged: {number(spreads.get('disentanglement_converged'))}, localisation converged: "
        f"{number(spreads.get('wannierisation_converged'))}.",
        f"- Quality report: frozen window {number(quality.get('frozen_window_eV'))} eV, largest deviation from the "
        f"DFT bands in it {number(quality.get('max_frozen_window_deviation_eV'))} eV on the grid and "
        f"{number(quality.get('max_frozen_window_deviation_off_grid_eV'))} eV off it"
        + (
            " (off the grid, states of the next manifold dip into this window: see the band-by-band line)"
            if manifold
            else ""
        )
        + f"; largest PT-pair splitting {number(quality.get('max_pt_pair_splitting_eV'))} eV; model keeps the "
        f"magnetic symmetry: {number(quality.get('model_keeps_symmetry'))} (largest band deviation under the group "
        f"{number(quality.get('max_symmetry_band_deviation_eV'))} eV on the grid, "
        f"{number(quality.get('max_symmetry_band_deviation_off_grid_eV'))} eV off it).",
        "",
        "## Calculations",
        "",
        "| calculation | settings | wall time (s) |",
        "|---|---|---|",
    ]
    for node in calculations:
        name = f"{node.process_label}<{node.pk}>"
        entry = timings[name]
        seconds = f"{entry['wall_time_s']}" + (
            f" (cached from {entry['cached_from']})" if "cached_from" in entry else ""
        )
        lines.append(f"| {name} | {settings(node)} | {seconds} |")
    lines += ["", "## Pseudopotentials", "", "| element | file | md5 | used by |", "|---|---|---|---|"]
    used = {}
    for node in calculations:
        for pseudo in node.inputs.pseudos.values() if "pseudos" in node.inputs else []:
            users = used.setdefault((pseudo.element, pseudo.filename, pseudo.md5), {})
            users[node.pk] = f"{node.process_label}<{node.pk}>"  # once per calculation, not per kind
    for (element, filename, md5), users in sorted(used.items()):
        lines.append(f"| {element} | {filename} | {md5} | {', '.join(users.values())} |")
    return "\n".join(lines) + "\n"


(args.out / "README.md").write_text(readme())
print(f"wrote {', '.join(sorted(path.name for path in args.out.iterdir()))} in {args.out}")
