"""Figures of chi(mu), alpha(mu), alpha(T) and the Lambda(k) maps, in the style of Xiao et al., PRB 103, 045401, Fig. 2.

The functions read the result dictionary that ``aiida-orbmag compute --json`` writes (and that
:func:`results_from_json` loads): ``mu_eV`` (n_mu,), ``temperature_K`` (n_T,), ``chi_nm_per_ohm`` and
``alpha_nA_nm_per_K`` (n_T, n_mu, 2), optionally ``kmesh_error`` with the same shapes. Each draws on a given matplotlib
axis (or a new figure) and returns the axis, so that a user can compose panels; ``save`` writes a PNG. matplotlib is the
only plotting dependency and the Agg backend is used, so no display is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from aiida_orbmag.physics import units  # noqa: E402
from aiida_orbmag.physics.mott import sommerfeld_alpha_over_t  # noqa: E402

COMPONENTS = ("x", "y")
CHI_LABEL = r"$\chi$ (nm/$\Omega$)"
ALPHA_LABEL = r"$\alpha$ (nA nm/K)"


def results_from_json(path) -> dict:
    """The result dictionary written by ``aiida-orbmag compute --json``, checked for the arrays the plots need."""
    path = Path(path)
    try:
        results = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"Cannot read the results file {path}: {error}. Give the JSON of `aiida-orbmag compute`."
        raise ValueError(message) from None
    needed = ("mu_eV", "temperature_K", "chi_nm_per_ohm", "alpha_nA_nm_per_K")
    if not isinstance(results, dict) or any(key not in results for key in needed):
        raise ValueError(f"{path} is not a result of `aiida-orbmag compute --json`: it needs the keys {needed}.")
    mu, temperatures = np.asarray(results["mu_eV"]), np.asarray(results["temperature_K"])
    for key in ("chi_nm_per_ohm", "alpha_nA_nm_per_K"):
        if np.shape(results[key]) != (len(temperatures), len(mu), 2):
            raise ValueError(
                f"{path}: {key} must have shape (temperatures, mu, 2) = ({len(temperatures)}, {len(mu)}, 2)."
            )
    return results


def _axis(ax):
    if ax is not None:
        return ax
    return plt.subplots(figsize=(4.6, 3.4), constrained_layout=True)[1]


def _temperature_index(results: dict, temperature: float) -> int:
    temperatures = np.asarray(results["temperature_K"], dtype=float)
    matches = np.flatnonzero(np.isclose(temperatures, temperature, atol=1e-9))
    if not len(matches):
        raise ValueError(f"No results at T = {temperature} K; the file has T = {temperatures.tolist()} K.")
    return int(matches[0])


def _mu_label(results: dict) -> str:
    relative = results.get("metadata", {}).get("relative_to_fermi_energy")
    return r"$\mu - E_F$ (eV)" if relative else r"$\mu$ (eV)"


def plot_chi(results: dict, temperature: float, ax=None, components=COMPONENTS):
    """chi_x, chi_y (nm/Ohm) against mu at ``temperature`` (K), with the k-mesh error estimate as a shaded band."""
    ax = _axis(ax)
    t = _temperature_index(results, temperature)
    mu = np.asarray(results["mu_eV"], dtype=float)
    chi = np.asarray(results["chi_nm_per_ohm"], dtype=float)[t]
    error = results.get("kmesh_error", {}).get("chi_nm_per_ohm")
    for component in components:
        c = COMPONENTS.index(component)
        (line,) = ax.plot(mu, chi[:, c], label=rf"$\chi_{component}$")
        if error is not None:
            spread = np.asarray(error, dtype=float)[t, :, c]
            ax.fill_between(mu, chi[:, c] - spread, chi[:, c] + spread, color=line.get_color(), alpha=0.25, lw=0)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel(_mu_label(results))
    ax.set_ylabel(CHI_LABEL)
    ax.set_title(f"T = {temperature:g} K")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.legend(frameon=False)
    return ax


def plot_alpha(results: dict, ax=None, component: str = "x", temperatures=None):
    """alpha_component (nA nm/K) against mu, one line per temperature (all of the file's T > 0 by default)."""
    ax = _axis(ax)
    c = COMPONENTS.index(component)
    mu = np.asarray(results["mu_eV"], dtype=float)
    alpha = np.asarray(results["alpha_nA_nm_per_K"], dtype=float)
    chosen = [t for t in results["temperature_K"] if t > 0] if temperatures is None else temperatures
    for temperature in chosen:
        ax.plot(mu, alpha[_temperature_index(results, temperature), :, c], label=f"{temperature:g} K")
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel(_mu_label(results))
    ax.set_ylabel(rf"$\alpha_{component}$ (nA nm/K)")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.legend(frameon=False)
    return ax


def sommerfeld_slope(
    results: dict, mu: float, component: str = "x", temperature: float = 0.0, half_width: float | None = None
) -> float:
    """The low-temperature Mott/Sommerfeld slope alpha/T = (pi² k_B² / 3e) dchi/dmu (nA nm/K per K) at ``mu``.

    dchi/dmu is taken from the file's chi at ``temperature`` (K): the central difference at the grid point nearest
    ``mu`` when ``half_width`` is None, otherwise the slope of a straight line fitted to chi over mu within
    +- ``half_width`` (eV) of that point. A fit at a small T > 0 over a window wider than k_B T stands in for T = 0
    where a grid's discrete levels make chi(mu) at T = 0 a staircase, or the metric form needs T > 0.
    """
    t = _temperature_index(results, temperature)
    mu_grid = np.asarray(results["mu_eV"], dtype=float)
    i = int(np.argmin(np.abs(mu_grid - mu)))
    chi = np.asarray(results["chi_nm_per_ohm"], dtype=float)[t, :, COMPONENTS.index(component)]
    if half_width is None:
        if i == 0 or i == len(mu_grid) - 1:
            raise ValueError(f"mu = {mu} eV must lie inside the mu grid for a central difference.")
        derivative = (chi[i + 1] - chi[i - 1]) / (mu_grid[i + 1] - mu_grid[i - 1])  # nm/Ohm per eV
    else:
        near = np.abs(mu_grid - mu_grid[i]) <= half_width * (1 + 1e-9)
        if np.count_nonzero(near) < 3:
            raise ValueError(f"Fewer than 3 mu within {half_width} eV of {mu_grid[i]} eV: widen the window.")
        derivative = np.polyfit(mu_grid[near], chi[near], 1)[0]
    return float(units.alpha_to_na_nm_per_k(sommerfeld_alpha_over_t(derivative / units.CHI_UNIT_NM_PER_OHM)))


def plot_alpha_temperature(
    results: dict, mu: float, ax=None, component: str = "x", slope_from: tuple[float, float] | None = None
):
    """alpha_component (nA nm/K) against T at the grid point nearest ``mu``, with the k-mesh error as error bars when
    the file has it, and the Sommerfeld line from dchi/dmu: from chi at T = 0 when the file has it, or, with
    ``slope_from`` = (T in K, half width in eV), fitted to chi at that T (:func:`sommerfeld_slope`)."""
    ax = _axis(ax)
    mu_grid = np.asarray(results["mu_eV"], dtype=float)
    i = int(np.argmin(np.abs(mu_grid - mu)))
    c = COMPONENTS.index(component)
    temperatures = np.asarray(results["temperature_K"], dtype=float)
    alpha = np.asarray(results["alpha_nA_nm_per_K"], dtype=float)[:, i, c]
    order = np.argsort(temperatures)
    error = (results.get("kmesh_error") or {}).get("alpha_nA_nm_per_K")
    if error is not None:
        bars = np.asarray(error, dtype=float)[:, i, c][order]
        ax.errorbar(temperatures[order], alpha[order], yerr=bars, fmt="o-", capsize=3, label="computed (k-mesh error)")
    else:
        ax.plot(temperatures[order], alpha[order], "o-", label="computed")
    slope, source = None, ""
    if slope_from is not None:
        slope = sommerfeld_slope(results, mu_grid[i], component, slope_from[0], slope_from[1])
        source = rf", d$\chi$/d$\mu$ at {slope_from[0]:g} K"
    elif np.any(np.isclose(temperatures, 0.0)):
        slope = sommerfeld_slope(results, mu_grid[i], component)
    if slope is not None:
        line = np.concatenate([[0.0], temperatures[order]])
        ax.plot(line, slope * line, "--", color="0.3", label=f"Mott (Sommerfeld){source}")
    ax.set_xlabel("T (K)")
    ax.set_ylabel(rf"$\alpha_{component}$ (nA nm/K)")
    where = _mu_label(results).replace(" (eV)", "")
    ax.set_title(rf"{where} = {mu_grid[i]:.3f} eV")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.legend(frameon=False)
    return ax


def plot_lambda_maps(
    fractional_k: np.ndarray, values: np.ndarray, reciprocal_lattice: np.ndarray, title: str = "", clip_percentile=100.0
):
    """Lambda_x(k) and Lambda_y(k) ((e/hbar) Å³) on a Gamma-centred uniform grid, in Cartesian k (1/Å).

    :param fractional_k: (n,) fractional coordinates of the grid along each reciprocal vector, in [-1/2, 1/2).
    :param values: (n, n, 2) Lambda at k = f1 b1 + f2 b2.
    :param reciprocal_lattice: (2, 2) rows b1, b2 (1/Å).
    :param clip_percentile: the colour scale of each panel ends at this percentile of its |Lambda| (100: the largest);
        below 100 the few larger values (spikes at band crossings) are drawn in the end colours and the colour bars say
        so.
    """
    f1, f2 = np.meshgrid(fractional_k, fractional_k, indexing="ij")
    kx = f1 * reciprocal_lattice[0, 0] + f2 * reciprocal_lattice[1, 0]
    ky = f1 * reciprocal_lattice[0, 1] + f2 * reciprocal_lattice[1, 1]

    def draw(axis, scaled, limit):
        return axis.pcolormesh(kx, ky, scaled, cmap="RdBu_r", vmin=-limit, vmax=limit, shading="nearest")

    return _lambda_figure([values[..., c] for c in range(2)], title, clip_percentile, draw)


def _lambda_figure(components: list, title: str, clip_percentile: float, draw):
    """The two panels of Lambda_x and Lambda_y: each component's colour scale (clipped at ``clip_percentile``, in a
    power of ten), drawn by ``draw(axis, values / 10^power, limit / 10^power)``, and its labels."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.9), constrained_layout=True)
    for axis, values, name in zip(axes, components, COMPONENTS, strict=True):
        limit, clipped = _colour_limit(values, clip_percentile)
        power = _power_of_ten(limit)
        scale = 10.0**power
        mesh = draw(axis, values / scale, limit / scale)
        _label_lambda_panel(fig, axis, mesh, name, title, clipped, power)
    return fig


def _colour_limit(values: np.ndarray, clip_percentile: float) -> tuple[float, float | None]:
    """(limit of a symmetric colour scale, the percentile when it clips values, else None)."""
    if not 0.0 < clip_percentile <= 100.0:
        raise ValueError(f"clip_percentile must lie in (0, 100], got {clip_percentile}.")
    magnitude = np.abs(values)
    largest = float(magnitude.max())
    limit = float(np.percentile(magnitude, clip_percentile)) if clip_percentile < 100.0 else largest
    if limit <= 0.0:
        return largest or 1.0, None
    return limit, (clip_percentile if limit < largest else None)


def _power_of_ten(limit: float) -> int:
    """The power of ten the colour bar's numbers are given in (0 for limits from 0.01 to 1000)."""
    power = int(np.floor(np.log10(limit))) if limit > 0.0 else 0
    return 0 if -2 <= power <= 2 else power


def _label_lambda_panel(fig, axis, mesh, name: str, title: str, clipped: float | None = None, power: int = 0) -> None:
    """Equal axes in Cartesian k (1/Å), the component's title and a colour bar in 10^power (e/hbar) Å³ (marked when
    the scale is clipped at a percentile)."""
    axis.set_aspect("equal")
    axis.set_xlabel(r"$k_x$ (1/Å)")
    axis.set_ylabel(r"$k_y$ (1/Å)")
    axis.set_title(rf"$\Lambda_{name}(\mathbf{{k}})$ {title}")
    unit = r"$(e/\hbar)$ Å$^3$" if power == 0 else rf"$10^{{{power}}}\,(e/\hbar)$ Å$^3$"
    label = unit + ("" if clipped is None else f", clipped at the {clipped:g}th percentile")
    fig.colorbar(mesh, ax=axis, label=label, extend="neither" if clipped is None else "both")


def plot_lambda_points(kpoints: np.ndarray, values: np.ndarray, title: str = "", clip_percentile=100.0):
    """Lambda_x(k) and Lambda_y(k) ((e/hbar) Å³) at stored k-points (nk, 2) in Cartesian 1/Å (a ``lambda_map`` node);
    ``clip_percentile`` as for :func:`plot_lambda_maps`."""

    def draw(axis, scaled, limit):
        return axis.tripcolor(kpoints[:, 0], kpoints[:, 1], scaled, cmap="RdBu_r", vmin=-limit, vmax=limit)

    return _lambda_figure([values[:, c] for c in range(2)], title, clip_percentile, draw)


def plot_bands(distance, wannier, ticks, labels, dft=(), fermi_energy=None, window=None, ax=None):
    """Wannier bands (lines) against DFT bands (dots) along a high-symmetry path, energies relative to E_F (eV).

    :param distance: (nk,) path coordinate (1/Å) of the Wannier k-points; ``wannier``: (nk, nb) energies (eV).
    :param ticks, labels: positions (1/Å) and names of the high-symmetry points.
    :param dft: (label, x (n,), energies (n, nb_dft)) of DFT k-points lying on the path.
    :param window: (emin, emax) eV relative to E_F, the energy range drawn.
    """
    ax = ax if ax is not None else plt.subplots(figsize=(4.6, 4.2), constrained_layout=True)[1]
    shift = fermi_energy or 0.0
    ax.plot(distance, np.asarray(wannier) - shift, color="C0", lw=1.0)
    ax.plot([], [], color="C0", lw=1.0, label="Wannier")
    for (name, x, energies), marker in zip(dft, ("o", "s", "^"), strict=False):
        x, energies = np.asarray(x), np.asarray(energies) - shift
        ax.plot(np.repeat(x, energies.shape[1]), energies.ravel(), marker, ms=3, mfc="none", color="C3", label=name)
    for tick in ticks:
        ax.axvline(tick, color="0.7", lw=0.6)
    ax.axhline(0.0, color="0.4", lw=0.6, ls="--")
    ax.set_xticks(ticks, [r"$\Gamma$" if label == "G" else label for label in labels])
    ax.set_xlim(distance[0], distance[-1])
    if window is not None:
        ax.set_ylim(*window)
    ax.set_ylabel(r"$E - E_F$ (eV)" if fermi_energy is not None else r"$E$ (eV)")
    ax.legend(frameon=False, loc="upper right", fontsize="small")
    return ax


def save(figure_or_axis, path) -> Path:
    """Write the figure (or the figure of an axis) as a PNG at 150 dpi and close it."""
    figure = getattr(figure_or_axis, "figure", figure_or_axis)
    path = Path(path)
    figure.savefig(path, dpi=150)
    plt.close(figure)
    return path
