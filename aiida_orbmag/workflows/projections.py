"""Wannier projections and band counts of a structure, from its pseudopotentials' atomic orbitals.

Each kind is projected on the valence orbitals of its pseudopotential (:func:`aiida_orbmag.io.upf.valence_orbitals`),
or on the orbital letters given per element (CrI3: Cr d, I p). The bands of semicore orbitals, and of unprojected
valence orbitals lying below every projected one (I 5s under I 5p), are counted as excluded. Spinor models have two
Wannier functions (and two bands) per orbital.
"""

from __future__ import annotations

import dataclasses
import re

from aiida import orm

from aiida_orbmag.io.upf import excluded_orbitals, orbital_count, orbitals, parse_projection_letters, valence_orbitals


@dataclasses.dataclass(frozen=True)
class ProjectionChoice:
    """Projection lines for wannier90, Wannier function count, excluded (lowest) band count, valence electron count."""

    lines: list[str]
    num_wann: int
    num_excluded: int
    num_electrons: int


def _explicit_letters(lines: list[str], structure: orm.StructureData) -> dict[str, str]:
    """Kind -> letters from lines like ``Cr:d`` or ``Fe:s;d`` (kind name or element symbol before the colon)."""
    letters = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z]+\d*)\s*:\s*([spdf;,\s]+)", line)
        if match is None:
            raise ValueError(
                f"The projection line {line!r} must read SITE:ORBITALS with orbitals among s, p, d, f (e.g. 'Cr:d'); "
                "hybrids and explicit positions need the band counts given by hand."
            )
        site, orbital_letters = match.groups()
        kinds = [kind.name for kind in structure.kinds if site in (kind.name, kind.symbol)]
        if not kinds:
            raise ValueError(f"The projection line {line!r} names {site}, which is neither a kind nor an element here.")
        for kind in kinds:
            letters[kind] = parse_projection_letters(orbital_letters)
    return letters


def choose_projections(
    structure: orm.StructureData,
    pseudos: dict,
    explicit: list[str] | None = None,
    orbitals_per_element: dict[str, str] | None = None,
    spinor: bool = True,
) -> ProjectionChoice:
    """Projections, num_wann and the number of excluded bands for ``structure`` with ``pseudos`` (kind -> UpfData)."""
    texts = {}
    for kind in structure.kinds:
        if kind.name not in pseudos:
            raise ValueError(f"No pseudopotential is given for kind {kind.name}.")
        texts[kind.name] = pseudos[kind.name].get_content()
    if explicit:
        letters = _explicit_letters(explicit, structure)
    else:
        overrides = {element: parse_projection_letters(spec) for element, spec in (orbitals_per_element or {}).items()}
        letters = {}
        for kind in structure.kinds:
            if kind.symbol in overrides:
                letters[kind.name] = overrides[kind.symbol]
            else:
                valence = valence_orbitals(texts[kind.name])
                letters[kind.name] = "".join(sorted({o.letter for o in valence}, key="spdf".index))
    sites = [site.kind_name for site in structure.sites]
    unprojected = sorted(set(sites) - set(letters))
    if unprojected:
        raise ValueError(f"The projections leave out the kinds {unprojected}; project every kind or none by name.")
    lowest = _lowest_projected_energy(texts, letters)
    per_orbital = 2 if spinor else 1
    counts = {kind: orbital_count(value) * per_orbital for kind, value in letters.items()}
    excluded = {
        kind: sum(2 * o.l + 1 for o in excluded_orbitals(texts[kind], letters.get(kind, ""), lowest)) * per_orbital
        for kind in texts
    }
    electrons = {kind: float(pseudos[kind].z_valence) for kind in texts}
    return ProjectionChoice(
        lines=[f"{kind}:{';'.join(value)}" for kind, value in letters.items()],
        num_wann=sum(counts[kind] for kind in sites),
        num_excluded=sum(excluded[kind] for kind in sites),
        num_electrons=round(sum(electrons[kind] for kind in sites)),
    )


def _lowest_projected_energy(texts: dict[str, str], letters: dict[str, str]) -> float | None:
    """The lowest pseudo-energy (Ry) among the projected orbitals of all kinds, None if any is unknown."""
    energies = []
    for kind, value in letters.items():
        for orbital in orbitals(texts[kind]):
            if orbital.letter in value and orbital.occupation > 0:
                if orbital.energy is None:
                    return None
                energies.append(orbital.energy)
    return min(energies) if energies else None
