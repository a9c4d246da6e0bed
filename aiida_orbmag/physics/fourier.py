"""Wannier-gauge matrices at arbitrary k: H(k), its k-derivatives, and the Berry connection of the Wannier basis.

Bloch phase conventions (``Conventions.bloch_convention``, :mod:`aiida_orbmag.physics.conventions`):

- ``"I"`` (default): phases carry the Wannier centres tau,
  H_ab(k) = sum_R t_ab(R) exp(i k.(R + tau_b - tau_a)). The Wannier-gauge Berry connection is then
  A^W_ab(k) = sum_R exp(i k.(R + tau_b - tau_a)) [r_ab(R) - delta_ab delta_R0 tau_a] (Wang, Yates, Souza,
  Vanderbilt, PRB 74, 195118 (2006), Eq. 31, transformed to convention I), which vanishes in the diagonal-position
  approximation.
- ``"II"``: phases exp(i k.R) only; A^W_ab(k) = sum_R exp(i k.R) r_ab(R). With the full position matrix it gives
  the same physics as convention I (a k-dependent gauge transformation); with the diagonal-position approximation
  it drops the centres, which is wrong for any model whose orbitals sit at different positions (kept as the
  negative control of the tests).

Position operator (``Conventions.position_operator``): ``"full"`` uses the off-diagonal position matrix r_ab(R)
of ``seedname_tb.dat`` (Wang et al. 2006), its Hermitian part [r(R) + r(-R)^dagger] / 2 so that A^W(k) is Hermitian
(:meth:`TightBindingModel.position_hermitian_part`); ``"diagonal"`` is the tight-binding approximation r_ab(R) =
delta_ab delta_R0 tau_a.

Only the in-plane components (x, y) of k-derivatives are formed: k = (k_x, k_y) with k_z = 0.
Index legend: k = k-point, r = R vector, m n = Wannier orbitals, a b = Cartesian x, y.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.fft

from .conventions import DEFAULT_CONVENTIONS, Conventions
from .kgrid import chunks, divisors
from .model import TightBindingModel

#: ``fft_workers`` for scipy.fft threads on all cores (a worker process of a parallel run passes 1).
ALL_CORES = -1


@dataclasses.dataclass(frozen=True)
class WannierGaugeMatrices:
    """H(k) (eV), dH/dk_a (eV Å), d²H/dk_a dk_b (eV Å²), A^W_a (Å), dA^W_a/dk_b (Å²) at a batch of k-points.

    Shapes: hamiltonian (k, n, n); dh (k, a, n, n); d2h (k, a, b, n, n) or None; connection (k, a, n, n) or None
    (None: diagonal-position approximation, A^W = 0); dconnection (k, a, b, n, n) or None.
    """

    hamiltonian: np.ndarray
    dh: np.ndarray
    d2h: np.ndarray | None
    connection: np.ndarray | None
    dconnection: np.ndarray | None


class FourierInterpolator:
    """Direct Fourier sums over R for a fixed model and conventions; call :meth:`at` with batches of k-points.

    With d_mn(R) = R + tau_n - tau_m = R + Delta_mn (convention I; Delta = 0 in convention II) every derivative
    is a combination of the R-moments S = sum_R e^{ik.R} t(R), S_a = sum_R e^{ik.R} R_a t(R), S_ab, so the R
    weights go on the (k, R) phase side and the hoppings are multiplied once per batch:

        H = E o S,   dH_a = i E o (S_a + Delta_a S),
        d2H_ab = -E o (S_ab + Delta_a S_b + Delta_b S_a + Delta_a Delta_b S)

    with E_mn = exp(i k.Delta_mn) and o the elementwise product.

    ``conventions``: its Bloch convention and position operator are used (a model without r(R) and the full
    position operator is a ValueError); ``fft_workers``: threads of scipy.fft in :meth:`grid_blocks`.
    """

    def __init__(
        self, model: TightBindingModel, conventions: Conventions = DEFAULT_CONVENTIONS, fft_workers: int = ALL_CORES
    ):
        conventions.check_position_matrix(model)
        convention, position_operator = conventions.bloch_convention, conventions.position_operator
        self.fft_workers = fft_workers
        nw = model.num_wann
        self.num_wann = nw
        self.r_cart = model.r_cartesian[:, :2]  # (r, a)
        self.r_int = model.r_vectors  # (r, 3) integers
        self.a3_in_plane = model.lattice[2, :2]  # (a,) Å: an oblique cell's a3 has an in-plane part
        tau = model.centres[:, :2]
        self.delta = (tau[None, :] - tau[:, None]) if convention == "I" else np.zeros((nw, nw, 2))  # (m, n, a)
        self.convention = convention
        self.hop = model.hoppings().reshape(model.num_r, nw * nw)  # (r, m*n)
        self.pos = None
        if position_operator == "full":
            r = model.position_hermitian_part()[..., :2].copy()  # (r, m, n, a)
            if convention == "I":
                r[model.r_index[(0, 0, 0)], np.arange(nw), np.arange(nw), :] -= tau
            # (r, a*m*n): x block then y block
            self.pos = np.ascontiguousarray(np.moveaxis(r, -1, 1)).reshape(model.num_r, 2 * nw * nw)

    def at(
        self, kpoints: np.ndarray, second_derivatives: bool = True, connection_derivative: bool = True
    ) -> WannierGaugeMatrices:
        """The Wannier-gauge matrices at ``kpoints`` (nk, 2) Cartesian 1/Å, by direct sums over R.

        ``second_derivatives``: also d²H/dk_a dk_b; ``connection_derivative``: also dA^W_a/dk_b (needed for dV/dk
        and the Berry curvature). What is not asked for is None.
        """
        kpoints = np.asarray(kpoints, dtype=float)
        nk, nw = len(kpoints), self.num_wann
        phase = np.exp(1j * kpoints @ self.r_cart.T)  # (k, r)
        weights = np.concatenate([phase * w for w in self._moment_weights(second_derivatives)])
        moments = (weights @ self.hop).reshape(-1, nk, nw, nw)
        positions = None
        if self.pos is not None:
            n_pos = 3 if connection_derivative else 1
            positions = (weights[: n_pos * nk] @ self.pos).reshape(n_pos, nk, 2, nw, nw)
        return self._assemble(kpoints, moments, positions, second_derivatives)

    def grid_blocks(
        self,
        reciprocal_2d: np.ndarray,
        kmesh,
        block_points: int,
        second_derivatives: bool = True,
        chunk_points: int | None = None,
        offsets=None,
        connection_derivative: bool = True,
    ):
        """Yield ``(kpoints, matrices)`` covering the uniform grid of :func:`~.kgrid.uniform_grid`, by FFT, in
        pieces of at most ``chunk_points`` k-points (default: a whole FFT sub-grid); ``offsets`` restricts them to
        the sub-grids (s1, s2) listed (default: all, see :func:`subgrid_offsets`). ``second_derivatives`` and
        ``connection_derivative`` as in :meth:`at`.

        The grid (n1, n2) is split into m1 m2 sub-grids of f1 x f2 points (f_i divides n_i, f1 f2 <= block_points):
        k = ((j1 m1 + s1)/n1) b1 + ((j2 m2 + s2)/n2) b2. For one offset (s1, s2), k.R = 2 pi (j1 R1/f1 + j2 R2/f2)
        + 2 pi (s1 R1/n1 + s2 R2/n2), so each R-moment of the hoppings, times the offset phase and folded onto
        R mod f, is one inverse FFT of size f1 x f2: O(N_w² log(f1 f2)) per k instead of O(N_w² N_R). Folding
        (aliasing) is exact, so the matrices equal those of :meth:`at` to round-off whatever f. An in-plane part of
        a3 (hoppings with R3 != 0 in an oblique cell) is carried by a per-k phase on each R3 group.
        """
        n1, n2 = kmesh
        f1, f2 = subgrid_shape(kmesh, block_points)
        m1, m2 = n1 // f1, n2 // f2
        folds = [_Fold(self, rows, f1, f2) for rows in self._r3_groups()]
        j1, j2 = (index.reshape(-1) for index in np.meshgrid(np.arange(f1), np.arange(f2), indexing="ij"))
        weights = self._moment_weights(second_derivatives)
        nw = self.num_wann
        for s1, s2 in subgrid_offsets(kmesh, block_points) if offsets is None else offsets:
            frac = np.stack([(j1 * m1 + s1) / n1, (j2 * m2 + s2) / n2], axis=-1)
            kpoints = frac @ reciprocal_2d
            offset = np.exp(2j * np.pi * (s1 * self.r_int[:, 0] / n1 + s2 * self.r_int[:, 1] / n2))
            moments = _sum_in_place(fold.moments(fold.hop, weights, offset, kpoints) for fold in folds)
            moments = moments.reshape(len(weights), f1 * f2, nw, nw)
            positions = None
            if self.pos is not None:
                n_pos = 3 if connection_derivative else 1
                positions = _sum_in_place(fold.moments(fold.pos, weights[:n_pos], offset, kpoints) for fold in folds)
                positions = positions.reshape(n_pos, f1 * f2, 2, nw, nw)
            for part in chunks(f1 * f2, chunk_points or f1 * f2):
                subset = None if positions is None else positions[:, part]
                yield kpoints[part], self._assemble(kpoints[part], moments[:, part], subset, second_derivatives)
            del moments, positions, subset  # before the next sub-grid's stacks exist: one set alive at a time

    def _moment_weights(self, second_derivatives: bool) -> list[np.ndarray]:
        """Per-R weights of the moments S, S_x, S_y (and S_xx, S_xy, S_yy): 1, R_a, R_a R_b (Cartesian Å)."""
        rx, ry = self.r_cart[:, 0], self.r_cart[:, 1]
        weights = [np.ones_like(rx), rx, ry]
        if second_derivatives:
            weights += [rx * rx, rx * ry, ry * ry]
        return weights

    def _r3_groups(self) -> list[np.ndarray]:
        """Row indices of the R vectors sharing one R3 (one group unless the model hops along a3)."""
        return [np.flatnonzero(self.r_int[:, 2] == r3) for r3 in np.unique(self.r_int[:, 2])]

    def _assemble(self, kpoints, moments, positions, second_derivatives) -> WannierGaugeMatrices:
        """H, dH, d2H, A, dA from the R-moments S.. (moment, k, m, n) and P.. (moment, k, a, m, n); dA only when
        the P_b moments are there."""
        nk, nw = len(kpoints), self.num_wann
        envelope = np.exp(1j * np.einsum("ka,mna->kmn", kpoints, self.delta)) if self.convention == "I" else 1.0
        s, s_a = moments[0], moments[1:3]
        delta = (self.delta[..., 0], self.delta[..., 1])
        hamiltonian = envelope * s
        dh = np.empty((nk, 2, nw, nw), dtype=complex)
        for a in range(2):
            np.multiply(delta[a], s, out=dh[:, a])
            dh[:, a] += s_a[a]
            dh[:, a] *= 1j * envelope
        d2h = None
        if second_derivatives:
            s_ab = {(0, 0): moments[3], (0, 1): moments[4], (1, 1): moments[5]}
            d2h = np.empty((nk, 2, 2, nw, nw), dtype=complex)
            for a, b in ((0, 0), (0, 1), (1, 1)):
                block = d2h[:, a, b]
                np.multiply(delta[a] * delta[b], s, out=block)
                block += s_ab[a, b]
                block += delta[a] * s_a[b]
                block += delta[b] * s_a[a]
                block *= -envelope
            d2h[:, 1, 0] = d2h[:, 0, 1]
        connection = dconnection = None
        if positions is not None:
            p = positions  # (moment, k, a, m, n)
            connection = envelope[:, None] * p[0] if self.convention == "I" else p[0]
            if len(p) == 1:
                return WannierGaugeMatrices(hamiltonian, dh, d2h, connection, None)
            dconnection = np.empty((nk, 2, 2, nw, nw), dtype=complex)
            for b in range(2):  # d/dk_b A_a = i E o (P_{b,a} + Delta_b P_a)
                target = dconnection[:, :, b]
                np.multiply(delta[b], p[0], out=target)
                target += p[1 + b]
                target *= 1j
            if self.convention == "I":
                dconnection *= envelope[:, None, None]
        return WannierGaugeMatrices(hamiltonian, dh, d2h, connection, dconnection)


class _Fold:
    """The hoppings of one R3 group sorted by their bin R mod (f1, f2), ready for weighted folding and FFT."""

    def __init__(self, interpolator: FourierInterpolator, rows: np.ndarray, f1: int, f2: int):
        r_int = interpolator.r_int[rows]
        bins = (r_int[:, 0] % f1) * f2 + (r_int[:, 1] % f2)
        order = np.argsort(bins, kind="stable")
        self.rows = rows[order]
        self.bins, self.starts = np.unique(bins[order], return_index=True)
        self.shape = (f1, f2)
        self.hop = interpolator.hop[self.rows]
        self.pos = None if interpolator.pos is None else interpolator.pos[self.rows]
        self.fft_workers = interpolator.fft_workers
        in_plane_a3 = interpolator.a3_in_plane * r_int[0, 2]
        self.a3 = None if not np.any(in_plane_a3) else in_plane_a3

    def moments(self, matrix, weights, offset, kpoints) -> np.ndarray:
        """(moment, f1 f2, X): sum_R w(R) offset(R) matrix(R) exp(2 pi i j.R/f) for each weight w."""
        f1, f2 = self.shape
        out = np.zeros((len(weights), f1 * f2, matrix.shape[1]), dtype=complex)
        factor = offset[self.rows]
        buffer = np.empty_like(matrix)
        for index, weight in enumerate(weights):
            np.multiply(matrix, (weight[self.rows] * factor)[:, None], out=buffer)
            out[index, self.bins] = np.add.reduceat(buffer, self.starts, axis=0)
        out = scipy.fft.ifft2(
            out.reshape(len(weights), f1, f2, -1),
            axes=(1, 2),
            norm="forward",
            overwrite_x=True,
            workers=self.fft_workers,
        )
        out = out.reshape(len(weights), f1 * f2, -1)
        if self.a3 is not None:
            out *= np.exp(1j * kpoints @ self.a3)[None, :, None]
        return out


def _sum_in_place(arrays):
    """Sum of an iterable of arrays, accumulated into the first (no copy for a single term)."""
    iterator = iter(arrays)
    total = next(iterator)
    for array in iterator:
        total += array
    return total


def subgrid_offsets(kmesh, block_points: int) -> list[tuple[int, int]]:
    """Offsets (s1, s2) of the sub-grids of :meth:`FourierInterpolator.grid_blocks`, each f1 f2 k-points."""
    f1, f2 = subgrid_shape(kmesh, block_points)
    return [(s1, s2) for s1 in range(kmesh[0] // f1) for s2 in range(kmesh[1] // f2)]


def subgrid_shape(kmesh, block_points: int) -> tuple[int, int]:
    """(f1, f2) with f_i dividing n_i, f1 f2 <= block_points, as many points as possible, then as square as possible."""
    n1, n2 = kmesh
    best = (1, 1)
    for f1 in divisors(n1):
        for f2 in divisors(n2):
            if f1 * f2 <= max(1, block_points):
                key = (f1 * f2, -abs(np.log(f1 / f2)))
                if key > (best[0] * best[1], -abs(np.log(best[0] / best[1]))):
                    best = (f1, f2)
    return best
