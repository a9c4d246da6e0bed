"""Where a chi came from: the chain of creators from a chi node back to the structure and the pseudopotentials.

:func:`provenance_report` follows the graph, not the work chain's context, so it answers the same on an imported
archive: chi -> ``orbmag.compute_susceptibility`` -> model (``tight_binding``) -> ``orbmag.wannier90`` -> (its
``remote_input_folder``) pw2wannier90 -> (``parent_folder``) NSCF -> (``parent_folder``) SCF -> structure and
pseudopotentials; and chi's parameters -> ``parameters_with_symmetry`` -> ``magnetic_point_group``. Every missing link
is one failed check of :func:`chain_checks`. Nodes are named by UUID (PKs differ between profiles).
"""

from __future__ import annotations

import re

from aiida import orm
from aiida.common.links import LinkType

from aiida_orbmag import __version__

SUSCEPTIBILITY_CHAIN = "SusceptibilityWorkChain"


def _creator(node: orm.Node | None) -> orm.ProcessNode | None:
    return None if node is None else node.creator


def _input(process: orm.ProcessNode | None, label: str) -> orm.Node | None:
    if process is None:
        return None
    links = process.base.links.get_incoming(link_label_filter=label).all()
    return links[0].node if links else None


def _is(process, entry_point: str) -> bool:
    return process is not None and (process.process_type or "").endswith(entry_point)


def resolve_chi(node: orm.Node) -> tuple[orm.ArrayData, orm.WorkflowNode | None]:
    """(chi, its chain or None) of a chi node or of an ``orbmag.susceptibility`` chain; ValueError for other nodes."""
    if isinstance(node, orm.WorkflowNode):
        if "chi" not in node.outputs:
            raise ValueError(
                f"Work chain {node.pk} ({node.process_label}) has no chi output (yet); give a finished "
                "orbmag.susceptibility chain or a chi node."
            )
        return node.outputs.chi, node
    if not isinstance(node, orm.ArrayData) or "chi" not in node.get_arraynames():
        raise ValueError(
            f"Node {node.pk} is a {type(node).__name__}, not a chi node or an orbmag.susceptibility chain."
        )
    creator = node.creator
    chain = creator.caller if creator is not None else None
    while chain is not None and chain.caller is not None and chain.process_label != SUSCEPTIBILITY_CHAIN:
        chain = chain.caller
    return node, chain


def _steps(chi: orm.ArrayData) -> dict:
    """The processes and nodes of the chain of creators from ``chi`` (None where a link is missing)."""
    steps = {"chi": chi, "susceptibility": _creator(chi)}
    steps["model"] = _input(steps["susceptibility"], "tight_binding")
    steps["wannier90"] = _creator(steps["model"])
    steps["pw2wannier90"] = _creator(_input(steps["wannier90"], "remote_input_folder"))
    steps["nscf"] = _creator(_input(steps["pw2wannier90"], "parent_folder"))
    steps["scf"] = _creator(_input(steps["nscf"], "parent_folder"))
    steps["structure"] = _input(steps["scf"], "structure")
    steps["parameters"] = _input(steps["susceptibility"], "parameters")
    steps["symmetry_step"] = _creator(steps["parameters"])
    steps["symmetry"] = _input(steps["symmetry_step"], "symmetry")
    steps["point_group"] = _creator(steps["symmetry"])
    return steps


def _pseudos(process: orm.ProcessNode | None) -> list[orm.Node]:
    if process is None:
        return []
    links = process.base.links.get_incoming(link_type=LinkType.INPUT_CALC).all()
    return [link.node for link in links if link.link_label.startswith("pseudos")]


def chain_checks(chi: orm.ArrayData) -> list[tuple[str, bool]]:
    """(link, present) for each link from chi back to the structure and pseudopotentials, and to the magnetic group."""
    s = _steps(chi)
    nscf_type = s["nscf"] and s["nscf"].inputs.parameters.get_dict().get("CONTROL", {}).get("calculation")
    return [
        ("chi <- orbmag.compute_susceptibility", _is(s["susceptibility"], "orbmag.compute_susceptibility")),
        ("compute_susceptibility <- model (tight_binding)", s["model"] is not None),
        ("model <- orbmag.wannier90", _is(s["wannier90"], "orbmag.wannier90")),
        ("wannier90 <- pw2wannier90 (remote_input_folder)", _is(s["pw2wannier90"], "quantumespresso.pw2wannier90")),
        ("pw2wannier90 <- NSCF pw.x (parent_folder)", _is(s["nscf"], "quantumespresso.pw") and nscf_type == "nscf"),
        ("NSCF <- SCF pw.x (parent_folder)", _is(s["scf"], "quantumespresso.pw")),
        ("SCF <- structure", s["structure"] is not None),
        ("SCF <- pseudopotentials", bool(_pseudos(s["scf"]))),
        ("chi parameters <- parameters_with_symmetry", _is(s["symmetry_step"], "parameters_with_symmetry")),
        ("symmetry <- magnetic_point_group", _is(s["point_group"], "magnetic_point_group")),
    ]


#: how each code prints its version at the top of its output: Quantum ESPRESSO "Program PWSCF v.6.7MaX starts",
#: wannier90 "Release: 3.1.0"
VERSION_PATTERNS = (re.compile(r"Program\s+\S+\s+v\.(\S+)"), re.compile(r"Release:\s*(\S+)"))


def _version(process: orm.CalcJobNode) -> str | None:
    """The code's version: from its parsed output_parameters, else from the head of its retrieved output file."""
    outputs = process.outputs
    if "output_parameters" in outputs:
        parameters = outputs.output_parameters.get_dict()
        for key in ("creator_version", "code_version", "version"):
            if parameters.get(key):
                return str(parameters[key])
    if "retrieved" not in outputs:
        return None
    retrieved = outputs.retrieved
    for name in (process.get_option("output_filename"), "aiida.wout", "aiida.out"):
        if name and name in retrieved.base.repository.list_object_names():
            head = retrieved.base.repository.get_object_content(name)[:20000]
            for pattern in VERSION_PATTERNS:
                match = pattern.search(head)
                if match:
                    return match.group(1)
    return None


def _process(process: orm.ProcessNode) -> dict:
    entry = {
        "uuid": process.uuid,
        "pk": process.pk,
        "type": process.process_type,
        "state": process.process_state.value if process.process_state else None,
        "exit_status": process.exit_status,
    }
    if isinstance(process, orm.CalcJobNode):
        code = process.inputs.code if "code" in process.inputs else None
        entry["code"] = None if code is None else code.full_label
        entry["executable"] = None if code is None else str(getattr(code, "filepath_executable", ""))
        entry["computer"] = process.computer.label if process.computer else None
        entry["version"] = _version(process)
    parameters = {}
    for link in process.base.links.get_incoming(link_type=(LinkType.INPUT_CALC, LinkType.INPUT_WORK)).all():
        if isinstance(link.node, orm.Dict):
            parameters[link.link_label] = link.node.get_dict()
        elif isinstance(link.node, orm.BaseType):
            parameters[link.link_label] = link.node.value
        elif isinstance(link.node, orm.List):
            parameters[link.link_label] = link.node.get_list()
        elif isinstance(link.node, orm.KpointsData):
            try:
                parameters[link.link_label] = {"mesh": link.node.get_kpoints_mesh()[0]}
            except AttributeError:
                parameters[link.link_label] = {"num_kpoints": len(link.node.get_kpoints())}
    entry["parameters"] = parameters
    return entry


def _structure_source(structure: orm.StructureData | None) -> list[dict]:
    """The creators of ``structure`` back to a stored structure (e.g. select_ground_state <- ... <- the input)."""
    trail = []
    while structure is not None:
        creator = structure.creator
        trail.append(
            {
                "structure": structure.uuid,
                "pk": structure.pk,
                "formula": structure.get_formula(),
                "created_by": None if creator is None else creator.process_label,
            }
        )
        if creator is None:
            break
        parents = [
            link.node for link in creator.base.links.get_incoming().all() if isinstance(link.node, orm.StructureData)
        ]
        structure = parents[0] if parents else None
        if structure is None:
            trail[-1]["inputs"] = {
                link.link_label: getattr(link.node, "value", link.node.uuid)
                for link in creator.base.links.get_incoming().all()
            }
    return trail


def _pseudo_rows(process: orm.ProcessNode | None) -> list[dict]:
    """One row per pseudopotential file of ``process`` (the kinds that use it, md5, the families holding it)."""
    rows = {}
    for link in process.base.links.get_incoming(link_type=LinkType.INPUT_CALC).all() if process else []:
        if not link.link_label.startswith("pseudos"):
            continue
        pseudo = link.node
        if pseudo.uuid not in rows:
            query = orm.QueryBuilder().append(orm.Node, filters={"id": pseudo.pk}, tag="pseudo")
            families = {"type_string": {"like": "pseudo.family%"}}
            query.append(orm.Group, with_node="pseudo", project="label", filters=families)
            rows[pseudo.uuid] = {
                "element": pseudo.base.attributes.get("element", None),
                "filename": pseudo.filename,
                "md5": pseudo.base.attributes.get("md5", None),
                "uuid": pseudo.uuid,
                "families": sorted(query.all(flat=True)),
                "kinds": [],
            }
        rows[pseudo.uuid]["kinds"].append(link.link_label.split("__")[-1])
    return [{**row, "kinds": sorted(row["kinds"])} for row in rows.values()]


def provenance_report(node: orm.Node) -> dict:
    """Everything :mod:`aiida_orbmag.tools.provenance` traces for a chi node or a susceptibility chain."""
    chi, chain = resolve_chi(node)
    s = _steps(chi)
    report = {"chi": {"uuid": chi.uuid, "pk": chi.pk}, "chain": None, "checks": chain_checks(chi)}
    if chain is not None:
        report["chain"] = {
            "uuid": chain.uuid,
            "pk": chain.pk,
            "label": chain.process_label,
            "version": chain.base.attributes.get("version", {}),
            "extras": {key: value for key, value in chain.base.extras.all.items() if not key.startswith("_")},
        }
        report["input_structure"] = _structure_source(chain.inputs.structure)
        if "magnetic_energies" in chain.outputs:
            energies = chain.outputs.magnetic_energies.get_dict()
            keys = ("energy_eV", "relative_energy_meV_per_magnetic_atom", "status")
            candidates = {name: {k: row.get(k) for k in keys} for name, row in energies["candidates"].items()}
            report["magnetic"] = {
                "ground_state": energies["ground_state"],
                "selection": energies["selection"],
                "candidates": candidates,
            }
    report["structure"] = _structure_source(s["structure"])
    report["pseudopotentials"] = _pseudo_rows(s["scf"])
    processes = ("scf", "nscf", "pw2wannier90", "wannier90", "point_group", "symmetry_step", "susceptibility")
    report["steps"] = {name: _process(s[name]) for name in processes if s[name] is not None}
    on_path = {step["uuid"] for step in report["steps"].values()}
    others = [] if chain is None else [node for node in chain.called_descendants if node.uuid not in on_path]
    others = sorted((n for n in others if isinstance(n, orm.CalculationNode)), key=lambda node: node.ctime)
    report["other_steps"] = [{"call_link_label": _call_label(node), **_process(node)} for node in others]
    summary = chi.creator.outputs.summary.get_dict() if chi.creator and "summary" in chi.creator.outputs else {}
    report["package_version"] = {
        "aiida-orbmag (chi computed with)": summary.get("aiida_orbmag_version"),
        "aiida-orbmag (this query)": __version__,
    }
    return report


def _call_label(node: orm.ProcessNode) -> str | None:
    links = node.base.links.get_incoming(link_type=(LinkType.CALL_CALC, LinkType.CALL_WORK)).all()
    return links[0].link_label if links else None


def format_report(report: dict) -> str:
    """The report as indented text."""
    import json

    lines = [f"chi: {report['chi']['uuid']} (PK {report['chi']['pk']})"]
    if report["chain"]:
        chain = report["chain"]
        lines.append(f"chain: {chain['label']} {chain['uuid']} (PK {chain['pk']}), versions {chain['version']}")
        if chain["extras"]:
            lines.append(f"  extras: {json.dumps(chain['extras'], sort_keys=True)}")
        lines.append("input structure and its source:")
        lines += [f"  {_trail(row)}" for row in report["input_structure"]]
    if "magnetic" in report:
        magnetic = report["magnetic"]
        lines.append(f"magnetic ground state: {magnetic['ground_state']} ({magnetic['selection']}), from:")
        for name, row in magnetic["candidates"].items():
            relative = row["relative_energy_meV_per_magnetic_atom"]
            relative = "-" if relative is None else f"{relative:+.3f} meV per magnetic atom"
            lines.append(f"  {name:32s} E = {row['energy_eV']} eV  ({relative})")
    lines.append("structure of the SCF and its source:")
    lines += [f"  {_trail(row)}" for row in report["structure"]] or ["  (missing)"]
    lines.append("pseudopotentials of the SCF:")
    for row in report["pseudopotentials"]:
        families = ", ".join(row["families"]) or "none"
        kinds = ", ".join(row["kinds"])
        lines.append(f"  {row['element']:3s} {row['filename']}  md5 {row['md5']}  kinds {kinds}  families {families}")
    lines.append("steps (code @ computer, version; parameters):")
    for name, step in report["steps"].items():
        lines += _step_lines(name, step)
    if report.get("other_steps"):
        lines.append("the chain's other steps (candidates, wannier90 -pp, off-grid bands, reports):")
    for step in report.get("other_steps", []):
        lines += _step_lines(step["call_link_label"], step)
    lines.append(f"package versions: {report['package_version']}")
    lines.append("provenance checks:")
    lines += [f"  [{'ok' if ok else 'MISSING'}] {name}" for name, ok in report["checks"]]
    return "\n".join(lines)


def _step_lines(name: str, step: dict) -> list[str]:
    """A step's line (type, UUID, PK, exit status, code @ computer and version) and one line per parameter."""
    import json

    version = step.get("version") or "not recorded in its output"
    where = f"{step.get('code')} @ {step.get('computer')}, version {version}" if "code" in step else ""
    lines = [f"  {name}: {step['type']} {step['uuid']} (PK {step['pk']}) exit {step['exit_status']} {where}"]
    lines += [
        f"    {label}: {json.dumps(value, sort_keys=True, default=str)}" for label, value in step["parameters"].items()
    ]
    return lines


def _trail(row: dict) -> str:
    text = f"{row['formula']} {row['structure']} (PK {row['pk']}) created by {row['created_by'] or 'nothing (stored)'}"
    if "inputs" in row:
        text += f" from {row['inputs']}"
    return text
