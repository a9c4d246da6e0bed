"""Band counts and disentanglement windows for a Wannierisation, from DFT band energies (eV) on the full k-grid.

Index legend: k = k-point of the NSCF grid, n = band (ascending energy at each k).

The Wannier manifold of ``num_wann`` functions is taken from the bands left after the ``num_excluded`` lowest
(semicore) bands. The outer window holds every remaining band (wannier90's ``dis_win_min``/``dis_win_max`` are left
unset: guessing ``dis_win_max`` too low is the commonest cause of "energy window contains fewer states than number of
target WFs"). The frozen window runs from the bottom of the manifold up to ``E_F + frozen_margin``, lowered where
needed so that it never holds more than ``num_wann`` states at any k (wannier90 refuses that). When the ``num_wann``
lowest states of the manifold are separated from every state above them by a gap (at least
:data:`ISOLATION_GAP_EV` on the grid), as the Cr d + I p bands of CrI3 are, the frozen window is raised to take the
whole group: every state the projections describe is then reproduced on the grid, the empty ones included, whatever
``frozen_margin`` says.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Distance (eV) kept between the top of the frozen window and the first state that would overfill it.
FROZEN_SAFETY_EV = 0.01
#: Smallest gap (eV) on the grid between the ``num_wann`` lowest manifold states and the next ones for the group to be
#: treated as isolated and frozen whole.
ISOLATION_GAP_EV = 0.1


@dataclasses.dataclass(frozen=True)
class WindowChoice:
    """What wannier90 is told, and why.

    Band counts, excluded bands (1-based), frozen window top (eV, None if no disentanglement), the energy range whose
    states the model must reproduce (eV), and diagnostics: the gap (eV) between the excluded bands and the manifold
    (negative: they overlap), the gap (eV) between the ``num_wann`` lowest manifold states and the next ones (None when
    no band lies above; negative: they overlap), and whether the frozen window had to be lowered below
    ``E_F + frozen_margin`` (never when the group is isolated and frozen whole).
    """

    num_bands: int
    num_wann: int
    exclude_bands: tuple[int, ...]
    dis_froz_max: float | None
    frozen_window: tuple[float, float]
    gap_below_manifold: float | None
    frozen_window_lowered: bool
    gap_above_manifold: float | None = None

    def wannier90_parameters(self) -> dict:
        """The keys of ``aiida.win`` this choice sets (``exclude_bands`` omitted when nothing is excluded)."""
        parameters = {"num_bands": self.num_bands, "num_wann": self.num_wann}
        if self.exclude_bands:
            parameters["exclude_bands"] = f"1-{len(self.exclude_bands)}"
        if self.dis_froz_max is not None:
            parameters["dis_froz_max"] = round(self.dis_froz_max, 6)
        return parameters


def choose_windows(
    energies: np.ndarray, fermi_energy: float, num_wann: int, num_excluded: int, frozen_margin: float
) -> WindowChoice:
    """Band counts and frozen window for ``num_wann`` Wannier functions (energies and margins in eV).

    :param energies: (nk, nb) DFT eigenvalues on the full uniform grid, eV.
    :param fermi_energy: Fermi level, eV.
    :param num_excluded: number of lowest bands (semicore) kept out of the Wannierisation.
    :param frozen_margin: how far above E_F (eV) the frozen window should reach when the band count allows it.
    """
    energies = np.sort(np.asarray(energies, dtype=float), axis=1)
    if energies.ndim != 2 or not np.isfinite(energies).all():
        raise ValueError("The band energies must be a finite (k-points, bands) array in eV.")
    num_bands = energies.shape[1] - num_excluded
    if num_excluded < 0 or num_wann < 1:
        raise ValueError(f"num_wann ({num_wann}) must be positive and num_excluded ({num_excluded}) non-negative.")
    if num_bands < num_wann:
        raise ValueError(
            f"Only {num_bands} bands remain above the {num_excluded} excluded ones, fewer than num_wann = {num_wann}; "
            "compute more bands in the NSCF step (nbnd)."
        )
    manifold = energies[:, num_excluded:]
    gap = float(manifold[:, 0].min() - energies[:, num_excluded - 1].max()) if num_excluded else None
    frozen_bottom = float(manifold.min())
    excluded = tuple(range(1, num_excluded + 1))
    if num_bands == num_wann:  # an isolated manifold: no disentanglement, every state is reproduced
        return WindowChoice(num_bands, num_wann, excluded, None, (frozen_bottom, float(manifold.max())), gap, False)
    # the first state that would make num_wann + 1 states inside the frozen window, at each k
    overfill = float(manifold[:, num_wann].min()) - FROZEN_SAFETY_EV
    gap_above = float(manifold[:, num_wann].min() - manifold[:, num_wann - 1].max())
    isolated = gap_above >= ISOLATION_GAP_EV
    wanted = max(fermi_energy + frozen_margin, overfill) if isolated else fermi_energy + frozen_margin
    top = min(wanted, overfill)
    if top <= frozen_bottom:
        raise ValueError(
            f"No frozen window fits: {num_wann + 1} states lie within {FROZEN_SAFETY_EV} eV of the bottom of the "
            "manifold at some k-point; the projections describe fewer states than the bands they should reproduce."
        )
    return WindowChoice(num_bands, num_wann, excluded, top, (frozen_bottom, top), gap, top < wanted, gap_above)


def frozen_window_deviation(
    dft_energies: np.ndarray, wannier_energies: np.ndarray, window: tuple[float, float]
) -> tuple[float, int]:
    """Largest |E_DFT - E_Wannier| (eV) over the DFT states inside ``window`` (eV), and how many states were compared.

    Each DFT state in the window is matched to the nearest Wannier-interpolated eigenvalue at the same k, so that the
    comparison needs no band-index bookkeeping (excluded bands, disentangled states above the window).

    :param dft_energies: (nk, nb) eV; :param wannier_energies: (nk, num_wann) eV, at the same k-points.
    """
    dft_energies = np.asarray(dft_energies, dtype=float)
    wannier_energies = np.asarray(wannier_energies, dtype=float)
    if dft_energies.shape[0] != wannier_energies.shape[0]:
        raise ValueError("The DFT and Wannier energies must be given at the same k-points.")
    inside = (dft_energies >= window[0]) & (dft_energies <= window[1])
    # k n m: distance from DFT state n to Wannier eigenvalue m
    distance = np.abs(dft_energies[:, :, None] - wannier_energies[:, None, :]).min(axis=2)
    count = int(inside.sum())
    return (float(distance[inside].max()) if count else float("nan")), count


def excluded_count(exclude_bands: str | None) -> int:
    """How many bands wannier90's ``exclude_bands`` removes from the bottom ("1-N" gives N; none gives 0)."""
    text = str(exclude_bands or "").strip()
    if not text:
        return 0
    first, _, last = text.partition("-")
    if first != "1" or not last.isdigit():
        raise ValueError(f"Cannot count the excluded bands {text!r}: expected '1-N'.")
    return int(last)


def manifold_deviation(dft_energies: np.ndarray, wannier_energies: np.ndarray, first: int) -> float:
    """Largest |E_DFT - E_Wannier| (eV) of an isolated manifold, band by band: the DFT states ``first`` ..
    ``first + num_wann - 1`` (sorted at each k) against the model's ``num_wann`` eigenvalues.

    For a manifold with gaps below and above it (the Cr d + I p bands of CrI3) the model stands for exactly these
    states at every k, while a frozen window chosen on the grid can take in states of the next manifold off it.

    :param dft_energies: (nk, nb) eV; :param wannier_energies: (nk, num_wann) eV, at the same k-points.
    """
    dft = np.sort(np.asarray(dft_energies, dtype=float), axis=1)
    wannier = np.sort(np.asarray(wannier_energies, dtype=float), axis=1)
    num_wann = wannier.shape[1]
    if dft.shape[0] != wannier.shape[0] or first < 0 or first + num_wann > dft.shape[1]:
        raise ValueError(f"The DFT bands {first}..{first + num_wann - 1} are not all there ({dft.shape[1]} bands).")
    return float(np.abs(dft[:, first : first + num_wann] - wannier).max())
