"""Real-space check of chi for insulators: the magnetoelectric response of a finite flake.

Independent of every Bloch-space ingredient (no k, no Berry connection, no metric): an open N1 x N2 flake of the
model in a magnetic field B z (Peierls phases, symmetric gauge A = B x r / 2) and an in-plane electric field E.
The orbital moment operator is m = -dH/dB with

    m_ab = -i (e/2hbar) (r_b x r_a)_z H_ab                       (hop from site b to site a),

and first-order perturbation theory for the Slater determinant of the lowest levels gives

    dm_z/dE_i = -2 e Re sum_{o occ, u empty} <o|m|u><u|r_i|o> / (e_o - e_u),

which, per flake area, tends to the bulk chi of Xiao et al., PRB 103, 045401 (2021), Eq. 8, as the flake grows.
The edges add a perimeter correction O(1/N) and the corners O(1/N²); everything else decays exponentially in an
insulator with Chern number zero (a Chern insulator has in-gap edge states and the method does not apply). The
Maxwell relation dm_z/dE_i = dP_i/dB_z holds exactly at every size and is computed as a second, separate sum.

Orbitals sit at their Wannier centres and the position operator is diagonal, so the flake reproduces the bulk
calculation with ``position_operator="diagonal"`` (identical to "full" for models whose position matrix is diagonal).
Reduced units as everywhere in the core: e/hbar taken out, energies eV, lengths Å; chi in (e²/hbar) Å.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .conventions import DEFAULT_CONVENTIONS
from .model import TightBindingModel
from .topology import chern_number


@dataclasses.dataclass(frozen=True)
class FlakeResponse:
    """dm_z/dE and dP/dB_z per flake area, (2,) in (e²/hbar) Å; gap (eV) between the highest occupied and the
    lowest empty level of the flake; area (Å²); n_states."""

    dm_de: np.ndarray
    dp_db: np.ndarray
    gap: float
    area: float
    n_states: int


@dataclasses.dataclass(frozen=True)
class FlakeExtrapolation:
    """chi (2,) in (e²/hbar) Å extrapolated to infinite size by a least-squares fit a + b/N + c/N² of the per-size
    values ``per_size`` (n_sizes, 2) at ``sizes``; ``residual`` is the largest fit residual."""

    chi: np.ndarray
    sizes: tuple[int, ...]
    per_size: np.ndarray
    residual: float


def flake_hamiltonian(model: TightBindingModel, n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    """H (n, n) in eV of an open n1 x n2 flake and the site positions (n, 2) in Å relative to the flake centre.

    State index = (i1 n2 + i2) num_wann + orbital. Hoppings t(R) = H(R)/ndegen that leave the flake are dropped;
    hoppings along a3 (R3 != 0) are folded in, as the k_z = 0 bulk calculation does.
    """
    if n1 < 1 or n2 < 1:
        raise ValueError(f"The flake needs at least one cell along each direction, got {n1} x {n2}.")
    nw = model.num_wann
    cells = np.stack(np.meshgrid(np.arange(n1), np.arange(n2), indexing="ij"), axis=-1).reshape(-1, 2)
    positions = (cells @ model.lattice[:2, :2])[:, None, :] + model.centres[None, :, :2]  # (cell, orbital, 2)
    positions = positions.reshape(-1, 2)
    positions -= positions.mean(axis=0)
    hamiltonian = np.zeros((len(cells) * nw, len(cells) * nw), dtype=complex)
    blocks = hamiltonian.reshape(n1, n2, nw, n1, n2, nw)  # a view: [i1, i2, m, j1, j2, n]
    for (r1, r2, _), hop in zip(model.r_vectors, model.hoppings(), strict=True):
        # <cell c, m|H|cell c + R, n> = t_mn(R) for both cells inside the flake
        # source cells c whose partner c + R is also inside the flake
        s1, s2 = slice(max(0, -r1), min(n1, n1 - r1)), slice(max(0, -r2), min(n2, n2 - r2))
        if s1.start >= s1.stop or s2.start >= s2.stop:
            continue
        i1, i2 = np.arange(n1)[s1], np.arange(n2)[s2]
        blocks[i1[:, None], i2[None, :], :, (i1 + r1)[:, None], (i2 + r2)[None, :], :] += hop
    return hamiltonian, positions


def flake_response(
    model: TightBindingModel, n1: int, n2: int, occupied_per_cell: int, min_gap: float = 1e-2
) -> FlakeResponse:
    """dm_z/dE_i and dP_i/dB_z per area ((e²/hbar) Å) of an open n1 x n2 flake with ``occupied_per_cell`` filled
    bands per cell (see the module docstring). ValueError when the flake's gap is below ``min_gap`` (eV): in-gap
    edge states, i.e. a metal or a Chern insulator, for which the flake does not measure the bulk chi."""
    if not 0 < occupied_per_cell < model.num_wann:
        raise ValueError(f"occupied_per_cell must lie between 1 and num_wann - 1 = {model.num_wann - 1}.")
    hamiltonian, r = flake_hamiltonian(model, n1, n2)
    # m~_ab = -(i/2) (r_b x r_a)_z H_ab, with (r_b x r_a)_z = x_b y_a - y_b x_a
    cross = r[None, :, 0] * r[:, None, 1] - r[None, :, 1] * r[:, None, 0]
    moment = -0.5j * cross * hamiltonian
    energies, states = np.linalg.eigh(hamiltonian)
    n_occ = occupied_per_cell * n1 * n2
    gap = float(energies[n_occ] - energies[n_occ - 1])
    if gap < min_gap:
        raise ValueError(
            f"The {n1}x{n2} flake has levels {gap:.2e} eV apart at the Fermi level (below {min_gap:.0e} eV): "
            "in-gap edge states of a metal or a Chern insulator, for which the finite-flake check does not apply."
        )
    occ, empty = states[:, :n_occ], states[:, n_occ:]
    inverse = 1.0 / (energies[:n_occ, None] - energies[None, n_occ:])  # 1/(e_o - e_u)
    m_ou = occ.conj().T @ moment @ empty
    area = n1 * n2 * model.cell_area
    dm_de, dp_db = np.empty(2), np.empty(2)
    for i in range(2):
        r_ou = occ.conj().T @ (r[:, i, None] * empty)
        r_uo = r_ou.conj().T
        m_uo = m_ou.conj().T
        dm_de[i] = -2 * np.real(np.sum(m_ou * r_uo.T * inverse)) / area
        dp_db[i] = -2 * np.real(np.sum(r_ou * m_uo.T * inverse)) / area
    return FlakeResponse(dm_de=dm_de, dp_db=dp_db, gap=gap, area=area, n_states=len(energies))


def extrapolate_flake_chi(model: TightBindingModel, sizes, occupied_per_cell: int) -> FlakeExtrapolation:
    """chi ((e²/hbar) Å) of the infinite crystal from square N x N flakes: least-squares fit of a + b/N + c/N²."""
    sizes = tuple(int(n) for n in sizes)
    if len(sizes) < 3:
        raise ValueError("Give at least three flake sizes to fit a + b/N + c/N².")
    chern = chern_number(
        model, occupied_per_cell, (48, 48), conventions=DEFAULT_CONVENTIONS.replace(position_operator="diagonal")
    )
    if abs(chern) > 0.5:
        raise ValueError(
            f"The occupied bands have Chern number {chern:.3f}: their chiral edge states make the flake response "
            "size-dependent, so the finite-flake check applies to Chern number 0 only."
        )
    per_size = np.array([flake_response(model, n, n, occupied_per_cell).dm_de for n in sizes])
    inverse = 1.0 / np.array(sizes, dtype=float)
    design = np.stack([np.ones_like(inverse), inverse, inverse**2], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, per_size, rcond=None)
    residual = float(np.abs(design @ coefficients - per_size).max())
    return FlakeExtrapolation(chi=coefficients[0], sizes=sizes, per_size=per_size, residual=residual)
