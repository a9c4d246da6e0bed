"""Wannier-gauge matrices at arbitrary k: H(k), its k-derivatives, and the Berry connection of the Wannier basis.

Bloch phase conventions (the ``convention`` argument):

- ``"I"`` (default): phases carry the Wannier centres tau,
  H_ab(k) = sum_R t_ab(R) exp(i k.(R + tau_b - tau_a)). The Wannier-gauge Berry connection is then
  A^W_ab(k) = sum_R exp(i k.(R + tau_b - tau_a)) [r_ab(R) - delta_ab delta_R0 tau_a] (Wang, Yates, Souza,
  Vanderbilt, PRB 74, 195118 (2006), Eq. 31, transformed to convention I), which vanishes in the diagonal-position
  approximation.
- ``"II"``: phases exp(i k.R) only; A^W_ab(k) = sum_R exp(i k.R) r_ab(R). With the full position matrix it gives
  the same physics as convention I (a k-dependent gauge transformation); with the diagonal-position approximation
  it drops the centres, which is wrong for any model whose orbitals sit at different positions (kept as the
  negative control of the tests).

Position operator (the ``position_operator`` argument): ``"full"`` uses the off-diagonal position matrix r_ab(R)
of ``seedname_tb.dat`` (Wang et al. 2006); ``"diagonal"`` is the tight-binding approximation r_ab(R) =
delta_ab delta_R0 tau_a.

Only the in-plane components (x, y) of k-derivatives are formed: k = (k_x, k_y) with k_z = 0.
Index legend: k = k-point, r = R vector, m n = Wannier orbitals, a b = Cartesian x, y.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import TightBindingModel

CONVENTIONS = ("I", "II")
POSITION_OPERATORS = ("full", "diagonal")


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


def check_conventions(model: TightBindingModel, convention: str, position_operator: str) -> None:
    """Raise ValueError for an unknown convention, or for the full position operator on a model without r(R)."""
    if convention not in CONVENTIONS:
        raise ValueError(f"Unknown Bloch phase convention {convention!r}; use one of {CONVENTIONS}.")
    if position_operator not in POSITION_OPERATORS:
        raise ValueError(f"Unknown position operator {position_operator!r}; use one of {POSITION_OPERATORS}.")
    if position_operator == "full" and not model.has_position:
        raise ValueError(
            "The full position operator needs the Wannier position matrix r(R), which this model lacks (it was "
            "built from H(R) and centres only). Read seedname_tb.dat instead, or choose the diagonal-position "
            "(tight-binding) approximation explicitly."
        )


class FourierInterpolator:
    """Direct Fourier sums over R for a fixed model and conventions; call :meth:`at` with batches of k-points.

    With d_mn(R) = R + tau_n - tau_m = R + Delta_mn (convention I; Delta = 0 in convention II) every derivative
    is a combination of the R-moments S = sum_R e^{ik.R} t(R), S_a = sum_R e^{ik.R} R_a t(R), S_ab, so the R
    weights go on the (k, R) phase side and the hoppings are multiplied once per batch:

        H = E o S,   dH_a = i E o (S_a + Delta_a S),
        d2H_ab = -E o (S_ab + Delta_a S_b + Delta_b S_a + Delta_a Delta_b S)

    with E_mn = exp(i k.Delta_mn) and o the elementwise product.
    """

    def __init__(self, model: TightBindingModel, convention: str = "I", position_operator: str = "full"):
        check_conventions(model, convention, position_operator)
        nw = model.num_wann
        self.num_wann = nw
        self.r_cart = model.r_cartesian[:, :2]  # (r, a)
        tau = model.centres[:, :2]
        self.delta = (tau[None, :] - tau[:, None]) if convention == "I" else np.zeros((nw, nw, 2))  # (m, n, a)
        self.convention = convention
        self.hop = model.hoppings().reshape(model.num_r, nw * nw)  # (r, m*n)
        self.pos = None
        if position_operator == "full":
            r = model.position_hoppings()[..., :2].copy()  # (r, m, n, a)
            if convention == "I":
                r[model.r_index[(0, 0, 0)], np.arange(nw), np.arange(nw), :] -= tau
            # (r, a*m*n): x block then y block
            self.pos = np.ascontiguousarray(np.moveaxis(r, -1, 1)).reshape(model.num_r, 2 * nw * nw)

    def at(self, kpoints: np.ndarray, second_derivatives: bool = True) -> WannierGaugeMatrices:
        """The Wannier-gauge matrices at ``kpoints`` (nk, 2) Cartesian 1/Å."""
        kpoints = np.asarray(kpoints, dtype=float)
        nk, nw = len(kpoints), self.num_wann
        phase = np.exp(1j * kpoints @ self.r_cart.T)  # (k, r)
        rx, ry = self.r_cart[:, 0], self.r_cart[:, 1]
        weights = [phase, phase * rx, phase * ry]  # S, S_x, S_y
        if second_derivatives:
            weights += [phase * rx * rx, phase * rx * ry, phase * ry * ry]  # S_xx, S_xy, S_yy
        moments = (np.concatenate(weights) @ self.hop).reshape(len(weights), nk, nw, nw)
        envelope = np.exp(1j * np.einsum("ka,mna->kmn", kpoints, self.delta)) if self.convention == "I" else 1.0
        s, s_a = moments[0], moments[1:3]
        dx, dy = self.delta[..., 0], self.delta[..., 1]
        delta = (dx, dy)
        hamiltonian = envelope * s
        dh = np.stack([1j * envelope * (s_a[a] + delta[a] * s) for a in range(2)], axis=1)
        d2h = None
        if second_derivatives:
            s_ab = {(0, 0): moments[3], (0, 1): moments[4], (1, 0): moments[4], (1, 1): moments[5]}
            d2h = np.empty((nk, 2, 2, nw, nw), dtype=complex)
            for a in range(2):
                for b in range(2):
                    d2h[:, a, b] = -envelope * (
                        s_ab[a, b] + delta[a] * s_a[b] + delta[b] * s_a[a] + delta[a] * delta[b] * s
                    )
        connection = dconnection = None
        if self.pos is not None:
            p = (np.concatenate(weights[:3]) @ self.pos).reshape(3, nk, 2, nw, nw)  # (moment, k, a, m, n)
            connection = envelope[:, None] * p[0] if self.convention == "I" else p[0]
            dconnection = np.empty((nk, 2, 2, nw, nw), dtype=complex)
            for b in range(2):  # d/dk_b A_a = i E o (P_{b,a} + Delta_b P_a)
                dconnection[:, :, b] = 1j * (p[1 + b] + delta[b] * p[0])
            if self.convention == "I":
                dconnection *= envelope[:, None, None]
        return WannierGaugeMatrices(hamiltonian, dh, d2h, connection, dconnection)
