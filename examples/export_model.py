"""Keep what a finished ``orbmag.susceptibility`` chain made: its Wannier model and the record of how it was made.

    verdi run examples/export_model.py PK --doped-mu EV [--out examples/data/cri3_bilayer]

PK is the chain (for the paper's example, the one ``examples/cri3_bilayer.py`` ran). Written under ``--out``:

- ``aiida_tb.dat.gz`` and ``aiida_wsvec.dat.gz``: wannier90's files as the Wannier90Calculation retrieved them
  (gzip without a time stamp, so a rerun on the same node writes the same bytes);
- ``model.json``: the Fermi energy the model's energies refer to, the band gap on the NSCF grid, the doped point
  ``--doped-mu`` (μ − E_F in eV, the figure script's α(T) and Λ(k) point), the spreads and the quality report of
  the Wannierization, and the wall time of every calculation of the chain (``cached`` when it came from the cache);
- ``provenance.json``: ``aiida-orbmag provenance PK``'s report (codes and versions, every step's parameters, the
  pseudopotentials and their checksums).

``examples/cri3_bilayer_fig2.sh`` reads them from ``examples/data/cri3_bilayer``.
"""

import argparse
import gzip
import json
import pathlib

from aiida import orm

from aiida_orbmag.tools.provenance import provenance_report
from aiida_orbmag.tools.results import band_gap

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("pk", type=int, help="the orbmag.susceptibility chain")
parser.add_argument("--doped-mu", type=float, required=True, metavar="EV", help="the doped point, mu - E_F (eV)")
parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("examples/data/cri3_bilayer"))
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


def wall_time(node: orm.CalcJobNode) -> float | str | None:
    """Seconds the code ran (its parsed wall time, else the node's lifetime), or "cached"."""
    if node.base.caching.is_created_from_cache:
        return "cached"
    parameters = node.outputs.output_parameters.get_dict() if "output_parameters" in node.outputs else {}
    seconds = parameters.get("wall_time_seconds")
    return round(float(seconds if seconds is not None else (node.mtime - node.ctime).total_seconds()), 1)


fermi = float(outputs.tight_binding.fermi_energy)
model = {
    "chain": {"pk": chain.pk, "uuid": chain.uuid},
    "fermi_energy_eV": fermi,
    "band_gap_nscf_grid_eV": band_gap(outputs.band_structure, fermi) if "band_structure" in outputs else None,
    "doped_mu_minus_fermi_eV": args.doped_mu,
    "num_wann": outputs.tight_binding.num_wann,
    "quality_report": outputs.quality_report.get_dict(),
    "spreads": wannier90.outputs.output_parameters.get_dict(),  # the Wannierization's spreads output
    "wall_times_s": {f"{node.process_label}<{node.pk}>": wall_time(node) for node in calculations},
}
(args.out / "model.json").write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
(args.out / "provenance.json").write_text(
    json.dumps(provenance_report(chain), indent=1, sort_keys=True, default=str) + "\n"
)
print(f"wrote {', '.join(sorted(path.name for path in args.out.iterdir()))} in {args.out}")
