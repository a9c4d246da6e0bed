"""The numbers of the bilayer-CrI3 comparison with the paper, read from what ``cri3_bilayer_fig2.sh`` wrote.

    python examples/cri3_bilayer_summary.py [DATA] [OUT]

DATA (default examples/data/cri3_bilayer) holds model.json (Fermi energy, band edges of the Wannier model, the doped
point); OUT (default examples/results/cri3_bilayer) the figure script's JSON files. Prints a Markdown table and writes
OUT/summary.json with:

- the forbidden component: the symmetry check's forbidden fraction, and max|chi_y| / max|chi_x| on the whole mu grid;
- chi_x in the gap (largest |chi_x| between the model's band edges) and under doping (largest |chi_x| outside);
- the k-mesh error estimate relative to |chi_x| where |chi_x| > 1e-5 nm/Ohm (the issue's 10 % criterion);
- alpha_x/T at the doped point for each T > 0 with its k-mesh error, against the Sommerfeld value
  (pi^2 k_B^2 / 3e) dchi_x/dmu (the slope fitted to chi_x at 10 K over +- 5 meV, with the package's own sign
  convention, aiida_orbmag.physics.mott), and the fit alpha/T = c1 + c3 T^2 on the resolved temperatures;
- the parity of the Lambda maps under k_x -> -k_x (the image of k under C2y): the relative size of the even part of
  Lambda_y and of the odd part of Lambda_x (both vanish when the model keeps C2y), and what each integrates to;
- the check runs: the Mott identity's residual (analytic form) and alpha_x/T at 60, 90, 120 K (Fermi-surface form).
"""

import json
import pathlib
import sys

import numpy as np

from aiida_orbmag.plots import sommerfeld_slope

LARGE_CHI_NM_PER_OHM = 1e-5  # where the k-mesh error must stay under 10 % of |chi_x| (the criterion)


def _load(path: pathlib.Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(f"Error: cannot read {path} ({error}); run examples/cri3_bilayer_fig2.sh first.") from None


def chi_summary(document: dict, edges: dict, temperature: float = 10.0) -> dict:
    """Forbidden part, gap and doped magnitudes, and the k-mesh error of chi_x at ``temperature``."""
    mu = np.asarray(document["mu_eV"])
    t_index = document["temperature_K"].index(temperature)
    chi = np.asarray(document["chi_nm_per_ohm"])[t_index]  # (n_mu, 2)
    in_gap = (mu > edges["valence_top_eV"]) & (mu < edges["conduction_bottom_eV"])
    largest = int(np.argmax(np.abs(chi[:, 0])))
    summary = {
        "temperature_K": temperature,
        "forbidden_fraction": document["checks"]["symmetry"].get("intrinsic_forbidden_fraction"),
        "max_chi_y_over_max_chi_x": float(np.abs(chi[:, 1]).max() / np.abs(chi[:, 0]).max()),
        "largest_chi_x_nm_per_ohm": float(chi[largest, 0]),
        "largest_chi_x_at_mu_minus_fermi_eV": float(mu[largest]),
        "largest_chi_x_in_gap_nm_per_ohm": float(np.abs(chi[in_gap, 0]).max()) if in_gap.any() else None,
        "chi_x_at_mid_gap_nm_per_ohm": float(
            np.interp(0.5 * (edges["valence_top_eV"] + edges["conduction_bottom_eV"]), mu, chi[:, 0])
        ),  # fmt: skip
        "largest_chi_x_outside_gap_nm_per_ohm": float(np.abs(chi[~in_gap, 0]).max()),
    }
    if "kmesh_error" in document:
        error = np.asarray(document["kmesh_error"]["chi_nm_per_ohm"])[t_index, :, 0]
        large = np.abs(chi[:, 0]) > LARGE_CHI_NM_PER_OHM
        summary["kmesh"] = document["checks"]["kmesh"]
        summary["largest_kmesh_error_over_chi_x_where_large"] = (
            float(np.max(error[large] / np.abs(chi[large, 0]))) if large.any() else None
        )
        over = large & (error > 0.1 * np.abs(chi[:, 0]))
        summary["mu_where_large"] = int(np.count_nonzero(large))
        summary["mu_where_large_and_kmesh_error_over_10_percent"] = mu[over].round(4).tolist()
        summary["largest_kmesh_error_nm_per_ohm"] = float(error.max())
    return summary


def alpha_summary(
    document: dict, doped: float, slope_from_k: float = 10.0, half_width_ev: float = 0.005, resolved: float = 0.02
) -> dict:
    """alpha_x/T at the doped point for every T > 0, with its k-mesh error, against the Sommerfeld (Mott, T -> 0)
    value (pi^2 k_B^2 / 3e) dchi_x/dmu.

    The slope is a straight-line fit of chi_x at ``slope_from_k`` over +- ``half_width_ev`` around the doped point:
    wider than k_B T there (0.9 meV at 10 K), so that it averages over the grid's discrete levels, and narrower than
    chi_x's own curvature (about 10 meV). The Sommerfeld expansion makes alpha/T = c1 + c3 T^2 + ... with c1 that
    value: c1 and c3 are fitted to the temperatures whose k-mesh error is at most ``resolved`` of alpha, and the
    change of alpha/T below 20 K, |c3| (20 K)^2 / |c1|, says how constant alpha/T is at low T."""
    mu = np.asarray(document["mu_eV"])
    temperatures = np.asarray(document["temperature_K"], dtype=float)
    at = int(np.argmin(np.abs(mu - doped)))
    alpha = np.asarray(document["alpha_nA_nm_per_K"])[:, at, 0]  # (n_T,)
    warm = temperatures > 0
    ratios = alpha[warm] / temperatures[warm]
    sommerfeld = sommerfeld_slope(document, doped, "x", temperature=slope_from_k, half_width=half_width_ev)
    summary = {
        "mu_minus_fermi_eV": float(mu[at]),
        "kmesh": document["checks"]["kmesh"],
        "temperatures_K": temperatures[warm].tolist(),
        "alpha_x_over_T_nA_nm_per_K2": ratios.tolist(),
        "alpha_x_over_T_over_sommerfeld": (ratios / sommerfeld).tolist(),
        "sommerfeld_alpha_x_over_T_nA_nm_per_K2": sommerfeld,
        "sommerfeld_slope_from": f"chi_x at {slope_from_k:g} K, mu within +-{half_width_ev * 1e3:g} meV",
    }
    if "kmesh_error" not in document:
        return summary
    error = np.asarray(document["kmesh_error"]["alpha_nA_nm_per_K"])[:, at, 0][warm]
    summary["alpha_x_over_T_kmesh_error_nA_nm_per_K2"] = (error / temperatures[warm]).tolist()
    good = error <= resolved * np.abs(alpha[warm])
    summary["resolved_temperatures_K"] = temperatures[warm][good].tolist()
    if np.count_nonzero(good) >= 3:
        t = temperatures[warm][good]
        c3, c1 = np.polyfit(t**2, ratios[good], 1)
        summary.update({
            "low_T_limit_c1_nA_nm_per_K2": float(c1),
            "T2_coefficient_c3_nA_nm_per_K4": float(c3),
            "fit_largest_residual_over_c1": float(np.max(np.abs(c1 + c3 * t**2 - ratios[good])) / abs(c1)),
            "c1_over_sommerfeld": float(c1 / sommerfeld),
            "alpha_over_T_change_below_20K": float(abs(c3) * 400.0 / abs(c1)),
        })  # fmt: skip
    return summary


def check_summary(analytic: dict, fermi_surface: dict, doped: float) -> dict:
    """The check runs: the Mott identity (analytic form, T = 0 and 10 K) and alpha_x/T at 60-120 K (Fermi-surface
    form) at the doped point, with the forbidden fraction of each."""
    mu = np.asarray(fermi_surface["mu_eV"])
    at = int(np.argmin(np.abs(mu - doped)))
    temperatures = np.asarray(fermi_surface["temperature_K"], dtype=float)
    ratios = np.asarray(fermi_surface["alpha_nA_nm_per_K"])[:, at, 0] / temperatures
    return {
        "kmesh": analytic["checks"]["kmesh"],
        "mott_identity_relative_residual": analytic["checks"]["mott_identity"].get("relative_residual"),
        "mott_eta_step_over_kT": analytic["checks"]["mott_identity"].get("eta_step_over_kT"),
        "forbidden_fraction_analytic": analytic["checks"]["symmetry"].get("intrinsic_forbidden_fraction"),
        "forbidden_fraction_fermi_surface": fermi_surface["checks"]["symmetry"].get("intrinsic_forbidden_fraction"),
        "alpha_x_over_T_temperatures_K": temperatures.tolist(),
        "alpha_x_over_T_nA_nm_per_K2": ratios.tolist(),
        "alpha_x_over_T_spread": float(np.ptp(ratios) / np.abs(ratios).mean()),
    }


def lambda_summary(document: dict) -> dict:
    """Parity of Lambda_x and Lambda_y under k_x -> -k_x on the map's grid."""
    fractional = np.asarray(document["fractional_k"])
    n = len(fractional)
    values = np.asarray(document["lambda_e_per_hbar_angstrom3"])  # (n, n, 2)
    reciprocal = np.asarray(document["reciprocal_lattice_per_angstrom"])
    grid = np.stack(np.meshgrid(fractional, fractional, indexing="ij"), axis=-1).reshape(-1, 2)
    image = (grid @ reciprocal * [-1.0, 1.0]) @ np.linalg.inv(reciprocal)  # fractional coordinates of (-k_x, k_y)
    steps = image * n
    if not np.allclose(steps, np.round(steps), atol=1e-6):
        raise SystemExit("Error: k_x -> -k_x does not map the Lambda map's grid onto itself.")
    index = (np.round(steps).astype(int) + n // 2) % n
    mirrored = values[index[:, 0], index[:, 1]].reshape(values.shape)
    lam_x, lam_y = values[..., 0], values[..., 1]
    odd_x = 0.5 * (lam_x - mirrored[..., 0])
    even_y = 0.5 * (lam_y + mirrored[..., 1])
    return {
        "kmesh": n,
        "odd_part_of_lambda_x_relative": float(np.linalg.norm(odd_x) / np.linalg.norm(lam_x)),
        "even_part_of_lambda_y_relative": float(np.linalg.norm(even_y) / np.linalg.norm(lam_y)),
        "sum_lambda_x_over_sum_abs": float(lam_x.sum() / np.abs(lam_x).sum()),
        "sum_lambda_y_over_sum_abs": float(lam_y.sum() / np.abs(lam_y).sum()),
    }


def main(argv: list[str]) -> dict:
    data = pathlib.Path(argv[0] if argv else "examples/data/cri3_bilayer")
    out = pathlib.Path(argv[1] if len(argv) > 1 else "examples/results/cri3_bilayer")
    model = _load(data / "model.json")
    edges = model["band_edges_wannier_60x60"]
    summary = {
        "band_edges_wannier_60x60": edges,
        "band_edges_nscf_grid": model.get("band_edges_nscf_grid"),
        "chi": chi_summary(_load(out / "chi_alpha_10K.json"), edges),
        "alpha": alpha_summary(_load(out / "alpha_T.json"), model["doped_mu_minus_fermi_eV"]),
        "lambda": lambda_summary(_load(out / "lambda_map.json")),
        "checks": check_summary(
            _load(out / "check_analytic.json"),
            _load(out / "check_fermi_surface.json"),
            model["doped_mu_minus_fermi_eV"],
        ),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    for section, values in summary.items():
        print(f"\n## {section}\n")
        for key, value in (values or {}).items():
            print(f"- {key}: {value}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
