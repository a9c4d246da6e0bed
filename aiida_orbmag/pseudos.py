"""Offline pseudopotential families: pslibrary files regenerated with ld1.x, fully (FR) and scalar (SR)
relativistic, installed as aiida-pseudo ``CutoffsPseudoPotentialFamily`` groups.

SSSP / PseudoDojo cannot be downloaded here, and no fully relativistic Cr or I file ships with Debian. Every
pslibrary UPF records the ld1.x input that made it; :class:`~aiida_orbmag.calculations.ld1.Ld1Calculation` reruns
it with ``rel=2`` / ``rel=1`` and tests it. The families hold the *output* ``UpfData`` of those calculations, so each
pseudopotential's provenance leads back to the source file and the ld1.x code. Cutoffs ("normal" stringency, Ry)
are the minimum cutoffs ld1.x suggests in each regenerated file.

Idempotent: a finished calculation for the same source content (md5) and relativistic treatment is reused, and an
existing family is kept when it holds the same pseudopotentials (elements it lacks are added); a family holding a
different pseudopotential for a requested element is an error.
"""

from __future__ import annotations

import logging
import pathlib
import re

from aiida import orm
from aiida.engine import run_get_node
from aiida_pseudo.data.pseudo.upf import UpfData
from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

from aiida_orbmag.calculations.ld1 import Ld1Calculation
from aiida_orbmag.codes import localhost_code
from aiida_orbmag.io import ld1

LOGGER = logging.getLogger(__name__)
DEFAULT_SOURCE_DIR = "/usr/share/espresso/pseudo"
DEFAULT_LABEL_PREFIX = "orbmag/pslibrary-1.0.0"
#: relativistic treatment -> family label suffix
FAMILY_TAGS = {"full": "FR", "scalar": "SR"}
STRINGENCY = "normal"


class Ld1GenerationError(ValueError):
    """An ld1.x regeneration did not finish with a tested pseudopotential."""


def install_families(
    elements=("Cr", "I"),
    source_dir=DEFAULT_SOURCE_DIR,
    functional: str = "PBE",
    code: orm.AbstractCode | None = None,
    label_prefix: str = DEFAULT_LABEL_PREFIX,
    augmentation: str | None = None,
) -> dict[str, CutoffsPseudoPotentialFamily]:
    """Regenerate the pslibrary pseudopotentials of ``elements`` and install the families
    ``{label_prefix}/{functional}/FR`` and ``.../SR``; returns label -> family. ``augmentation='ultrasoft'``: their
    ultrasoft twins (``lpaw=.false.``, untested by ld1.x, :mod:`~aiida_orbmag.calculations.ld1`) in ``.../FR-US``
    and ``.../SR-US``: with pw.x 6.7 the PAW files fail for moments in the plane (docs/topics/measured.md)."""
    elements = _elements(elements)
    if not re.fullmatch(r"[A-Za-z0-9]+", functional):
        raise ValueError(f"functional {functional!r} must be a plain name such as 'PBE' or 'PBEsol'.")
    code = code if code is not None else ld1_code()
    sources = {element: source_node(find_source(element, source_dir, functional)) for element in elements}
    families = {}
    suffix = "-US" if augmentation == "ultrasoft" else ""
    kind = " as ultrasoft" if augmentation == "ultrasoft" else ""
    for relativistic, tag in FAMILY_TAGS.items():
        pseudos = {element: regenerate(source, relativistic, code, augmentation) for element, source in sources.items()}
        label = f"{label_prefix}/{functional}/{tag}{suffix}"
        description = (
            f"pslibrary {functional} pseudopotentials from {source_dir} regenerated "
            f"{relativistic}-relativistically{kind} with ld1.x by aiida-orbmag (each pseudo's creator is its "
            "Ld1Calculation); cutoffs: ld1.x's suggestions."
        )
        families[label] = install_family(label, pseudos, description)
    return families


def _elements(elements) -> list[str]:
    if isinstance(elements, str):
        elements = [elements]
    symbols = [str(element).strip().capitalize() for element in elements]
    bad = [symbol for symbol in symbols if not re.fullmatch(r"[A-Z][a-z]?", symbol)]
    if not symbols or bad:
        raise ValueError(f"Give chemical symbols such as 'Cr' and 'I'; got {list(elements)}.")
    return list(dict.fromkeys(symbols))


def find_source(element: str, source_dir=DEFAULT_SOURCE_DIR, functional: str = "PBE") -> pathlib.Path:
    """The pslibrary UPF of ``element`` for ``functional`` in ``source_dir``: a scalar-relativistic
    ``El.<functional>-*_psl.<version>.UPF``, preferring PAW (kjpaw) and version 1.0.0."""
    folder = pathlib.Path(source_dir)
    if not folder.is_dir():
        raise ValueError(
            f"{folder} is not a folder; install Debian's quantum-espresso-data (it ships pslibrary files in "
            f"{DEFAULT_SOURCE_DIR}) or give the folder holding the pslibrary UPF files."
        )
    pattern = re.compile(
        rf"{re.escape(element)}\.{re.escape(functional.lower())}-[\w-]*_psl\.(\d+(?:\.\d+)*)\.upf", re.I
    )
    candidates = []
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path.is_file():
            version = tuple(int(part) for part in match.group(1).split("."))
            candidates.append(("kjpaw" not in path.name, version != (1, 0, 0), tuple(-v for v in version), path))
    if not candidates:
        available = sorted(path.name for path in folder.iterdir() if path.name.split(".")[0] == element)
        raise ValueError(
            f"No pslibrary {functional} file for {element} in {folder} (looked for "
            f"{element}.{functional.lower()}-*_psl.*.UPF); files for {element} there: {available or 'none'}. Copy "
            "one from pslibrary (https://github.com/dalcorso/pslibrary) or choose another --source-dir."
        )
    return min(candidates)[-1]


def source_node(path: pathlib.Path) -> UpfData:
    """The stored ``UpfData`` of ``path``, reusing a stored node with the same content (md5)."""
    node = UpfData.get_or_create(path)
    if not node.is_stored:
        node.store()
    return node


def ld1_code() -> orm.InstalledCode:
    """The ``ld1@localhost`` code, created (with the ``localhost`` computer if missing) from ``ld1.x`` on PATH."""
    return localhost_code("ld1")


def regenerate(source: UpfData, relativistic: str, code: orm.AbstractCode, augmentation: str | None = None) -> UpfData:
    """The regenerated pseudopotential: the output of a finished ``Ld1Calculation`` of the same source content,
    relativistic treatment and augmentation (None: the recipe's own) if one exists, else of a new one run now."""
    previous = finished_pseudo(source.md5, relativistic, augmentation)
    if previous is not None:
        LOGGER.info("reusing %s (%s-relativistic) from Ld1Calculation %s", previous.filename, relativistic, previous.pk)
        return previous
    builder = Ld1Calculation.get_builder()
    builder.code = code
    builder.source = source
    builder.relativistic = orm.Str(relativistic)
    if augmentation is not None:
        builder.augmentation = orm.Str(augmentation)
    builder.metadata.options.max_wallclock_seconds = 1800
    builder.metadata.label = f"ld1 {source.element} {relativistic}-relativistic"
    results, node = run_get_node(builder)
    if not node.is_finished_ok:
        raise Ld1GenerationError(
            f"Regenerating {source.filename} {relativistic}-relativistically failed (Ld1Calculation {node.pk}, exit "
            f"status {node.exit_status}): {node.exit_message}. Inspect it with `verdi process report {node.pk}`."
        )
    return results["pseudo"]


def finished_pseudo(md5: str, relativistic: str, augmentation: str | None = None) -> UpfData | None:
    """The ``pseudo`` output of the newest finished-ok ``Ld1Calculation`` of a source with this md5, relativistic
    treatment and ``augmentation`` input (None: without one), or None."""
    builder = orm.QueryBuilder()
    builder.append(UpfData, filters={"attributes.md5": md5}, tag="source")
    builder.append(
        orm.CalcJobNode,
        with_incoming="source",
        edge_filters={"label": "source"},
        filters={"process_type": "aiida.calculations:orbmag.ld1", "attributes.exit_status": 0},
        tag="calculation",
    )
    builder.append(
        orm.Str,
        with_outgoing="calculation",
        edge_filters={"label": "relativistic"},
        filters={"attributes.value": relativistic},
    )
    builder.append(UpfData, with_incoming="calculation", edge_filters={"label": "pseudo"}, project="*")
    builder.order_by({"calculation": {"ctime": "desc"}})
    for (pseudo,) in builder.iterall():
        inputs = pseudo.creator.inputs
        if (inputs["augmentation"].value if "augmentation" in inputs else None) == augmentation:
            return pseudo
    return None


def install_family(label: str, pseudos: dict[str, UpfData], description: str = "") -> CutoffsPseudoPotentialFamily:
    """The family ``label`` holding ``pseudos`` (element -> stored UpfData), created or extended, with the ld1.x
    suggested cutoffs of all its members set for the "normal" stringency (Ry)."""
    found = orm.QueryBuilder().append(CutoffsPseudoPotentialFamily, filters={"label": label}, subclassing=False)
    family = found.first(flat=True)
    if family is None:
        family = CutoffsPseudoPotentialFamily(label=label, description=description).store()
        family.add_nodes(list(pseudos.values()))
    else:
        present = family.pseudos
        conflicts = {
            element: (present[element].filename, pseudo.filename)
            for element, pseudo in pseudos.items()
            if element in present and present[element].md5 != pseudo.md5
        }
        if conflicts:
            raise ValueError(
                f"The pseudopotential family {label} exists with different pseudopotentials for {sorted(conflicts)} "
                f"(present, new: {conflicts}); delete it (verdi group delete '{label}') or use another label prefix."
            )
        missing = [pseudo for element, pseudo in pseudos.items() if element not in present]
        if missing:
            family.add_nodes(missing)
    cutoffs = {}
    for element, pseudo in family.pseudos.items():
        wfc, rho = ld1.suggested_cutoffs(pseudo.get_content())
        cutoffs[element] = {"cutoff_wfc": wfc, "cutoff_rho": rho}
    family.set_cutoffs(cutoffs, stringency=STRINGENCY, unit="Ry")
    return family
