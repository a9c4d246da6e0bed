"""Atomic orbitals recorded in a UPF pseudopotential: which are valence, which semicore, which Wannier projections.

The pseudo-wavefunctions (``PP_CHI`` in UPF v2, the ``PP_PSWFC`` block in UPF v1) carry a label (``3D``), the angular
momentum l, the occupation in the generation configuration and, in UPF v2 files from ld1.x >= 6.3, the pseudo-energy
(Ry); QE 6.7's ld1.x leaves it out, but writes it in the "Valence configuration" table of PP_INFO, which is read too.
Those are all that is needed to pick Wannier projections and count the semicore bands to exclude.
"""

from __future__ import annotations

import dataclasses
import re

#: Occupied orbitals deeper than this (Ry) are semicore: kept out of the Wannier manifold (Cr 3s3p at -5.7/-3.6 Ry,
#: I 5s at -1.28 Ry and Cr 3d at -0.44 Ry are on either side of it).
SEMICORE_ENERGY_RY = -2.0
ORBITAL_LETTERS = "spdf"


@dataclasses.dataclass(frozen=True)
class AtomicOrbital:
    """One pseudo-atomic orbital: label (``3D``), n, l, occupation (electrons) and pseudo-energy (Ry, None if absent).

    Fully relativistic files list each j channel separately (3D3/2 and 3D5/2 both with l=2); ``orbitals`` merges them.
    """

    label: str
    n: int
    l: int
    occupation: float
    energy: float | None

    @property
    def letter(self) -> str:
        return ORBITAL_LETTERS[self.l]


def orbitals(upf_text: str) -> list[AtomicOrbital]:
    """The pseudo-atomic orbitals of a UPF file (v1 or v2), one per (n, l), occupations summed over j channels."""
    found = _orbitals_v2(upf_text) or _orbitals_v1(upf_text)
    table = _valence_table_energies(upf_text)
    found = [
        o if o.energy is not None or o.label not in table else dataclasses.replace(o, energy=table[o.label])
        for o in found
    ]
    if not found:
        raise ValueError(
            "The pseudopotential file lists no pseudo-atomic wavefunctions (PP_CHI / PP_PSWFC), so projections cannot "
            "be chosen from it; give the projections explicitly."
        )
    merged: dict[tuple[int, int], AtomicOrbital] = {}
    for orbital in found:
        key = (orbital.n, orbital.l)
        if key in merged:
            previous = merged[key]
            energies = [e for e in (previous.energy, orbital.energy) if e is not None]
            orbital = dataclasses.replace(
                previous,
                occupation=previous.occupation + orbital.occupation,
                energy=sum(energies) / len(energies) if energies else None,
            )
        merged[key] = orbital
    return list(merged.values())


def _orbitals_v2(text: str) -> list[AtomicOrbital]:
    result = []
    for attributes in re.findall(r"<PP_CHI\.\d+([^>]*)>", text):
        values = tag_attributes(attributes)
        label = values.get("label", "").strip().upper()
        energy = values.get("pseudo_energy")
        result.append(
            AtomicOrbital(
                label=label,
                n=_principal_number(label, values.get("n")),
                l=int(values["l"]),
                occupation=float(values.get("occupation", "0").replace("D", "E")),
                energy=float(energy.replace("D", "E")) if energy else None,
            )
        )
    return result


def tag_attributes(text: str) -> dict[str, str]:
    """``name="value"`` pairs of a UPF v2 tag's attribute text, values stripped (``element=" I"`` -> ``"I"``)."""
    return {key: value.strip() for key, value in re.findall(r'(\w+)\s*=\s*"([^"]*)"', text)}


def _orbitals_v1(text: str) -> list[AtomicOrbital]:
    block = re.search(r"<PP_PSWFC>(.*?)</PP_PSWFC>", text, flags=re.DOTALL)
    if block is None:
        return []
    result = []
    for label, l_value, occupation in re.findall(
        r"^\s*(\d[SPDF])\s+(\d)\s+([-+.\dEeDd]+)\s+Wavefunction", block.group(1), flags=re.MULTILINE | re.IGNORECASE
    ):
        label = label.upper()
        result.append(
            AtomicOrbital(label, int(label[0]), int(l_value), float(occupation.replace("D", "E")), energy=None)
        )
    return result


def _valence_table_energies(text: str) -> dict[str, float]:
    """Label -> pseudo-energy (Ry, mean over j channels) from the "Valence configuration" table that ld1.x writes
    into PP_INFO (the only place the energies appear in files from QE 6.7's ld1.x)."""
    block = re.search(
        r"Valence configuration:\s*\n\s*nl pn\s+l\s+occ.*?\n(.*?)(?:Generation configuration|</PP_INFO>)",
        text,
        flags=re.DOTALL,
    )
    if block is None:
        return {}
    energies: dict[str, list[float]] = {}
    for label, energy in re.findall(
        r"^\s*(\d[SPDF])\s+\d+\s+\d\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s*$", block.group(1), flags=re.MULTILINE
    ):
        energies.setdefault(label, []).append(float(energy))
    return {label: sum(values) / len(values) for label, values in energies.items()}


def _principal_number(label: str, fallback) -> int:
    if label[:1].isdigit():
        return int(label[0])
    if fallback is not None:
        return int(fallback)
    raise ValueError(f"Cannot tell the principal quantum number of the pseudo-wavefunction labelled {label!r}.")


def valence_orbitals(upf_text: str) -> list[AtomicOrbital]:
    """Occupied orbitals that are not semicore.

    With pseudo-energies: occupied and above ``SEMICORE_ENERGY_RY``. Without (Debian's UPF v1 files): for each l, the
    occupied orbital of highest n (Fe 3s is semicore next to 4s; a lone 3p would not be recognised).
    """
    occupied = [orbital for orbital in orbitals(upf_text) if orbital.occupation > 0]
    if all(orbital.energy is not None for orbital in occupied):
        return [orbital for orbital in occupied if orbital.energy > SEMICORE_ENERGY_RY]
    highest = {}
    for orbital in occupied:
        if orbital.l not in highest or orbital.n > highest[orbital.l].n:
            highest[orbital.l] = orbital
    return sorted(highest.values(), key=lambda orbital: (orbital.n, orbital.l))


def excluded_orbitals(upf_text: str, projected_letters: str, lowest_projected_energy: float | None) -> list:
    """Occupied orbitals below the Wannier manifold, whose bands are excluded from the Wannierisation.

    Semicore orbitals always; an unprojected valence orbital too when its pseudo-energy lies below
    ``lowest_projected_energy`` (Ry): I 5s (-1.28 Ry) sits under the I 5p / Cr 3d manifold of CrI3.
    """
    valence = valence_orbitals(upf_text)
    result = [o for o in orbitals(upf_text) if o.occupation > 0 and o not in valence]
    for orbital in valence:
        below = (
            lowest_projected_energy is not None
            and orbital.energy is not None
            and orbital.energy < lowest_projected_energy
        )
        if orbital.letter not in projected_letters and below:
            result.append(orbital)
    return result


def parse_projection_letters(spec: str) -> str:
    """``'s;d'`` or ``'d'`` or ``'sd'`` -> ``'sd'``; ValueError for anything but s, p, d, f."""
    letters = "".join(spec.replace(";", "").replace(",", "").split()).lower()
    if not letters or any(letter not in ORBITAL_LETTERS for letter in letters) or len(set(letters)) != len(letters):
        raise ValueError(
            f"The projection {spec!r} must list distinct orbital letters among s, p, d, f, for example 'd' or 's;d'."
        )
    return "".join(sorted(letters, key=ORBITAL_LETTERS.index))


def orbital_count(letters: str) -> int:
    """Number of orbitals (per spin) in the shells ``letters``: s 1, p 3, d 5, f 7."""
    return sum(2 * ORBITAL_LETTERS.index(letter) + 1 for letter in letters)
