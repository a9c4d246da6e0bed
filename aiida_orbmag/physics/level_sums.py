"""Occupation-weighted sums over band levels for many chemical potentials and temperatures from one pass over k.

Xiao et al., PRB 103, 045401 (2021), Eqs. 8-10 and Table I: once Lambda and the other integrands are known per
level L = (k, n) (cluster energy e_L, eV), every response is a sum over levels of an integrand times an occupation
weight of e_L at (mu, T):

    chi       <- sum_L f0(e_L) sea_L + f0'(e_L) fs_L          alpha     <- sum_L s(e_L) sea_L + s'(e_L) fs_L
    chi_ext   <- sum_L f0'(e_L) ext_L                         alpha_ext <- sum_L s'(e_L) ext_L

with f0 the Fermi function, s = s0/k_B the entropy per state in units of k_B (Eq. 10), ' = d/de (1/eV), sea_L the
Fermi-sea integrand Lambda^n ((e/hbar) Å³), fs_L the Fermi-surface form of the metric term and ext_L = v_j m^z for
the extrinsic part (:mod:`aiida_orbmag.physics.response`). Index legend: L = level, c = integrand component (x, y),
b = energy bin, n = Taylor order, w = bin inside one mu's window.

Two methods give the same sums to round-off (T > 0; T = 0 always uses an exact cumulative sum over sorted levels):

- :class:`ExactSums`: the weights of every level at every (mu, T), contracted per k-chunk (cost ∝ n_mu n_T per level).
- :class:`BinnedSums`: per k-chunk, each integrand goes into a uniform energy histogram of width
  delta ~ BIN_WIDTH_KT k_B T_min (a power of two, see :func:`_fine_grid`) with the power moments
  M_n(b) = sum_{L in b} I_L u_L^n, u = (e_L - c_b)/delta in [-1/2, 1/2], n = 0..TAYLOR_ORDER (cost per level
  independent of n_mu and n_T). Levels below the window [min mu - WINDOW_KT k_B T_max, max mu + WINDOW_KT k_B T_max]
  (plus a margin) have f0 = 1, s = f0' = s' = 0 to double precision: only their sea sum is kept; levels above it are
  dropped. At the end, per temperature, the moments are rebinned exactly (binomial shift) to width
  Delta = m delta <= BIN_WIDTH_KT k_B T (m integer), and

      sum_L w(e_L) I_L = sum_b sum_n M_n(b) w^(n)(x_b) h^n / n!,    x_b = (c_b - mu)/k_B T,  h = Delta/k_B T,

  over the bins within WINDOW_KT k_B T of mu (prefix sums of M_0 give the fully occupied bins below). The Taylor
  coefficients of f(x) = 1/(1 + e^x) follow from f' = f² - f as a power-series recurrence; those of s from
  s' = x f' (s^(n) = x f^(n) + (n - 1) f^(n-1)); f0' = f'(x)/k_B T. This final step costs about 80 bins x 23
  orders per (mu, T) pair (some 40 µs on one core), whatever the number of k-points.

Truncation bound (binned): the Taylor series of f about x_b converges for |x - x_b| < pi (poles at x = ±i pi).
With |u h| <= 1/2 and TAYLOR_ORDER = 22 the remainder of every weight, measured over x_b in [-45, 45] by summing the
series to order 70, is below 1e-18 for f0 and s and below 7e-18 / k_B T for f0' and s' (order 20 would give 3e-17
and 2.4e-16 / k_B T), so each sum differs from the exact one by less than 1e-17 sum_L |I_L| (1e-17 / k_B T for the
f0' and s' terms): below round-off. Further from mu the series converges faster (radius sqrt(x_b² + pi²)), and
TAIL_ORDERS lowers the order to 16 for |x_b| >= 10 and 12 for |x_b| >= 20, where the measured remainders stay below
1e-17 of each weight's own value (orders 14 and 11 would do). Levels outside the +-40 k_B T window of a mu carry
weights below 2e-16 (f0 is 1 or 0 to double precision beyond |x| = 37). Bin centres are exact floats, so e_L - c_b
and the binomial shifts carry no rounding; what remains is the rounding of x_b (relative eps), as of (e - mu)/k_B T
in the exact method.
"""

from __future__ import annotations

import numpy as np
from scipy.special import binom, expit

from . import occupation
from .kgrid import chunks
from .units import KB_EV_PER_K

#: Highest power moment per histogram bin.
TAYLOR_ORDER = 22
#: Bin width of the evaluation at temperature T, in k_B T (the fine histogram uses it at the lowest temperature).
BIN_WIDTH_KT = 1.0
#: Half-width of the window around each mu (k_B T) outside which f0 is 0 or 1 to double precision.
WINDOW_KT = 40.0
#: Lower Taylor orders (|x_b| from, order) where the series converges faster: its radius is sqrt(x_b² + pi²).
TAIL_ORDERS = ((10.0, 16), (20.0, 12))
#: Chemical potentials evaluated together at the end (bounds the gathered (mu, bin, order) arrays).
MU_BLOCK = 64
OUTPUTS = ("chi", "alpha", "chi_ext", "alpha_ext")
#: Integrands and the weights they take: the sea takes (f0, s), the others (f0', s').
DERIVATIVE_CHANNELS = ("fermi_surface", "extrinsic")


class _LevelSums:
    """(n_T, n_mu, 2) sums of the four responses; T = 0 by an exact cumulative sum, T > 0 by the subclass."""

    def __init__(self, mu: np.ndarray, temperature: np.ndarray):
        self.mu, self.temperature = mu, temperature
        self.sums = {name: np.zeros((len(temperature), len(mu), 2)) for name in OUTPUTS}

    def add(self, levels: dict) -> None:
        """Add one k-chunk's levels: ``energy`` (L,) eV and (L, 2) integrands ``sea`` (and the optional
        ``fermi_surface``, ``extrinsic``)."""
        if np.any(self.temperature == 0):
            zero = _zero_temperature_sea(levels["energy"], levels["sea"], self.mu)
            self.sums["chi"][self.temperature == 0] += zero
        if np.any(self.temperature > 0):
            self._add_hot(levels)

    def merge(self, other: _LevelSums) -> None:
        """Add the partial sums of another instance built for the same mu, T and integrands."""
        for name in OUTPUTS:
            self.sums[name] += other.sums[name]

    def totals(self) -> dict:
        return {name: value.copy() for name, value in self.sums.items()}

    def _add_hot(self, levels: dict) -> None:
        raise NotImplementedError


class ExactSums(_LevelSums):
    """Weights of every level at every (mu, T), contracted chunk by chunk (:mod:`.occupation`)."""

    def _add_hot(self, levels):
        energy = levels["energy"][:, None]
        for t_index, t in enumerate(self.temperature):
            if t == 0:
                continue
            occupied = occupation.fermi_dirac(energy, self.mu, t)  # (L, n_mu)
            entropy = occupation.entropy_density(energy, self.mu, t)
            self.sums["chi"][t_index] += occupied.T @ levels["sea"]
            self.sums["alpha"][t_index] += entropy.T @ levels["sea"]
            if not any(name in levels for name in DERIVATIVE_CHANNELS):
                continue
            d_occupied = occupation.fermi_dirac_derivative(energy, self.mu, t)
            d_entropy = occupation.entropy_density_derivative(energy, self.mu, t)
            if "fermi_surface" in levels:
                self.sums["chi"][t_index] += d_occupied.T @ levels["fermi_surface"]
                self.sums["alpha"][t_index] += d_entropy.T @ levels["fermi_surface"]
            if "extrinsic" in levels:
                self.sums["chi_ext"][t_index] += d_occupied.T @ levels["extrinsic"]
                self.sums["alpha_ext"][t_index] += d_entropy.T @ levels["extrinsic"]


class BinnedSums(_LevelSums):
    """Histogram of power moments per energy bin, evaluated per (mu, T) at the end (see the module docstring).

    :param channels: the derivative integrands present besides ``sea`` (a subset of DERIVATIVE_CHANNELS).
    """

    def __init__(self, mu, temperature, channels=()):
        super().__init__(mu, temperature)
        self.channels = ("sea",) + tuple(name for name in DERIVATIVE_CHANNELS if name in channels)
        hot = temperature[temperature > 0]
        self.width, self.lowest, n_bins = _fine_grid(mu, hot) if hot.size else (1.0, 0.0, 0)
        self.moments = np.zeros((n_bins, TAYLOR_ORDER + 1, 2 * len(self.channels)))
        self.below = np.zeros(2)  # sea sum of the levels below every window

    @staticmethod
    def histogram_bytes(mu, temperature, n_channels: int) -> int:
        """Memory (bytes) of the moment histogram for these mu (eV), T (K) and number of integrands."""
        hot = np.asarray(temperature)[np.asarray(temperature) > 0]
        if hot.size == 0:
            return 0
        return 8 * _fine_grid(np.asarray(mu), hot)[2] * (TAYLOR_ORDER + 1) * 2 * n_channels

    def merge(self, other):
        super().merge(other)
        self.moments += other.moments
        self.below += other.below

    def _add_hot(self, levels):
        energy = levels["energy"]
        position = (energy - self.lowest) / self.width  # in fine bins; only decides the bin
        below = position < 0
        self.below += levels["sea"][below].sum(axis=0)
        rows = np.flatnonzero(~below & (position < len(self.moments)))
        if rows.size == 0:
            return
        rows = rows[np.argsort(position[rows], kind="stable")]
        index = np.floor(position[rows]).astype(np.intp)
        # exact bin centre (a multiple of width/2), so e - centre is exact where it matters (Sterbenz)
        u = (energy[rows] - (self.lowest + (index + 0.5) * self.width)) / self.width
        starts = np.concatenate([[0], np.flatnonzero(np.diff(index)) + 1])
        bins = index[starts]
        power = np.concatenate([levels[name][rows] for name in self.channels], axis=1)  # (L, 2 channels)
        for n in range(TAYLOR_ORDER + 1):
            self.moments[bins, n] += np.add.reduceat(power, starts, axis=0)
            if n < TAYLOR_ORDER:
                power *= u[:, None]

    def totals(self):
        sums = super().totals()
        for t_index, t in enumerate(self.temperature):
            if t > 0:
                for name, value in self._at_temperature(t).items():
                    sums[name][t_index] += value
        return sums

    def _at_temperature(self, t: float) -> dict:
        """(n_mu, 2) contributions of all binned levels at temperature ``t`` (K)."""
        kt = KB_EV_PER_K * t
        merge = max(1, int(np.floor(BIN_WIDTH_KT * kt / self.width)))
        width = merge * self.width
        h = width / kt
        span = int(np.ceil(2 * WINDOW_KT * kt / width)) + 2
        coarse = _rebin(self.moments, merge)
        coarse = np.concatenate([coarse, np.zeros((span,) + coarse.shape[1:])])
        first = np.floor((self.mu - WINDOW_KT * kt - self.lowest) / width).astype(np.intp)  # >= 0 by the margin
        prefix = np.concatenate([np.zeros((1, 2)), np.cumsum(coarse[:, 0, :2], axis=0)])
        out = {name: np.zeros((len(self.mu), 2)) for name in OUTPUTS}
        out["chi"] += self.below + prefix[first]  # fully occupied: f0 = 1, s = 0
        scale = np.arange(1, TAYLOR_ORDER + 2)[:, None, None] / (h * kt)  # f0' Taylor factor (n + 1)/(h k_B T)
        for block in chunks(len(self.mu), MU_BLOCK):
            bins = first[block, None] + np.arange(span)  # (b, w)
            x = (self.lowest + (bins + 0.5) * merge * self.width - self.mu[block, None]) / kt
            f, s = _weights(x, h, int(len(self.channels) > 1))  # (n, b, w)
            moments = coarse[bins]  # (b, w, n, c)
            n_value = TAYLOR_ORDER + 1
            value = _contract(f[:n_value], s[:n_value], moments[..., :2])  # (b, 2, c): f0 and s weights
            out["chi"][block] += value[:, 0]
            out["alpha"][block] += value[:, 1]
            if len(self.channels) == 1:
                continue
            slope = _contract(f[1:] * scale, s[1:] * scale, moments[..., 2:])  # f0' and s' weights
            for column, name in enumerate(self.channels[1:]):
                target = ("chi", "alpha") if name == "fermi_surface" else ("chi_ext", "alpha_ext")
                out[target[0]][block] += slope[:, 0, 2 * column : 2 * column + 2]
                out[target[1]][block] += slope[:, 1, 2 * column : 2 * column + 2]
        return out


def _contract(f: np.ndarray, s: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """(b, 2, c) = sum_{w, n} [f, s][n, b, w] moments[b, w, n, c], as one batch of (2, w n) @ (w n, c) products."""
    n_mu, span, order, n_col = moments.shape
    weights = np.stack([f, s]).transpose(2, 0, 3, 1).reshape(n_mu, 2, span * order)
    return weights @ moments.reshape(n_mu, span * order, n_col)


def _fine_grid(mu: np.ndarray, hot: np.ndarray) -> tuple[float, float, int]:
    """(fine bin width eV, lower edge eV, number of bins) of the histogram for mu (eV) and positive T (K).

    The width is a power of two (between BIN_WIDTH_KT k_B T_min / 2 and BIN_WIDTH_KT k_B T_min) and the lower edge a
    multiple of it, so that every bin centre, fine or merged, is an exact float: level offsets from a centre and the
    binomial shifts of the rebinning carry no rounding beyond that of the energies themselves.
    """
    kt_max = KB_EV_PER_K * hot.max()
    width = 2.0 ** np.floor(np.log2(BIN_WIDTH_KT * KB_EV_PER_K * hot.min()))
    margin = (WINDOW_KT + 2 * BIN_WIDTH_KT) * kt_max
    lowest = np.floor((float(mu.min()) - margin) / width) * width
    return float(width), float(lowest), int(np.ceil((float(mu.max()) + margin - lowest) / width))


def _rebin(moments: np.ndarray, merge: int) -> np.ndarray:
    """Moments (b, n, c) of bins of width delta re-expressed on bins of width merge * delta (same lower edge).

    With u the offset in the fine bin and s_r = r + (1 - merge)/2 the offset of fine bin r from the coarse centre,
    v = (u + s_r)/merge and v^n = sum_k C(n, k) (s_r/merge)^(n-k) merge^-k u^k: exact, no cancellation (|v| <= 1/2).
    """
    if merge == 1:
        return moments
    n_fine, n_order, n_col = moments.shape
    n_coarse = -(-n_fine // merge)
    padded = np.zeros((n_coarse * merge, n_order, n_col))
    padded[:n_fine] = moments
    shift = (np.arange(merge) + 0.5 * (1 - merge)) / merge  # (r,)
    n, k = np.arange(n_order)[None, :], np.arange(n_order)[:, None]  # B[r, k, n]
    power = np.where(n >= k, n - k, 0)
    shifted = binom(n, k) * np.where(n >= k, shift[:, None, None] ** power, 0.0) * float(merge) ** (-k)
    grouped = padded.reshape(n_coarse, merge * n_order, n_col).transpose(0, 2, 1)  # (j, c, r k)
    return (grouped @ shifted.reshape(merge * n_order, n_order)).transpose(0, 2, 1)


def _weights(x: np.ndarray, h: float, extra: int) -> tuple[np.ndarray, np.ndarray]:
    """Scaled Taylor coefficients (n, b, w) of f and s (:func:`_taylor_coefficients`) up to TAYLOR_ORDER + ``extra``
    (f0' and s' need one more), lower in the columns w whose |x| is beyond a TAIL_ORDERS threshold (zeros above)."""
    order = TAYLOR_ORDER + extra
    f, s = np.zeros((2, order + 1) + x.shape)
    distance = np.abs(x).min(axis=0)  # (w,): over the block's chemical potentials
    needed = np.full(x.shape[1], order)
    for start, tail_order in TAIL_ORDERS:
        needed[distance >= start] = tail_order + extra
    edges = np.concatenate([[0], np.flatnonzero(np.diff(needed)) + 1, [len(needed)]])
    for start, stop in zip(edges[:-1], edges[1:], strict=True):  # runs of columns with one order: views, no copies
        value = needed[start]
        f[: value + 1, :, start:stop], s[: value + 1, :, start:stop] = _taylor_coefficients(x[:, start:stop], h, value)
    return f, s


def _taylor_coefficients(x: np.ndarray, h: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Scaled Taylor coefficients g_n = f^(n)(x) h^n/n! and sigma_n = s^(n)(x) h^n/n!, n = 0..order (n, *x.shape).

    f(x) = 1/(1 + e^x) and s(x) = -[f ln f + (1 - f) ln(1 - f)]. From f' = f² - f:
    g_{n+1} = h/(n + 1) [(2f - 1) g_n + sum_{k=1}^{n-1} g_k g_{n-k}] (n >= 1), g_1 = -h f (1 - f), with 1 - f
    computed as expit(x) so that both tails keep their relative precision; sigma_n = x g_n + h (n - 1)/n g_{n-1}.
    """
    a, b = expit(-x), expit(x)  # f and 1 - f
    g = np.empty((order + 1,) + x.shape)
    g[0] = a
    g[1] = -h * a * b
    tanh = a - b
    pairs, product = np.empty_like(a), np.empty_like(a)
    for n in range(1, order):  # in place: this loop is most of the evaluation time
        out = g[n + 1]
        np.multiply(tanh, g[n], out=out)
        if n >= 3:
            np.multiply(g[1], g[n - 1], out=pairs)
            for k in range(2, (n + 1) // 2):
                pairs += np.multiply(g[k], g[n - k], out=product)
            pairs *= 2.0
            out += pairs
        if n % 2 == 0:
            out += np.multiply(g[n // 2], g[n // 2], out=product)
        out *= h / (n + 1)
    sigma = np.empty_like(g)
    magnitude = np.abs(x)
    sigma[0] = np.log1p(np.exp(-magnitude)) + magnitude * expit(-magnitude)  # symmetric, no cancellation
    ratio = h * (np.arange(order + 1) - 1) / np.maximum(np.arange(order + 1), 1)
    sigma[1:] = x * g[1:] + ratio.reshape((-1,) + (1,) * x.ndim)[1:] * g[:-1]
    return g, sigma


def _zero_temperature_sea(energy, integrand, mu):
    """(n_mu, 2) sum over levels of Theta(mu - e) integrand, with weight 1/2 for a level exactly at mu."""
    order = np.argsort(energy)
    cumulative = np.concatenate([np.zeros((1, 2)), np.cumsum(integrand[order], axis=0)])
    below = np.searchsorted(energy[order], mu, side="left")
    up_to = np.searchsorted(energy[order], mu, side="right")
    return 0.5 * (cumulative[below] + cumulative[up_to])
