"""k-resolved Lambda_x(k), Lambda_y(k) of the CrI3-like reference bilayer (cf. Xiao et al. PRB 103, 045401, Fig. 2c,d).

    python examples/lambda_map.py [MU_EV] [OUTPUT.png]

Lambda(k) = sum_n f0(e_n) Lambda^n(k) in (e/hbar) Å³ at T = 0; Lambda_x is even and Lambda_y odd under k_x -> -k_x
(C2y symmetry), so only chi_x survives the zone integral.
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from aiida_orbmag.physics import lambda_map  # noqa: E402
from aiida_orbmag.physics.reference_models import cri3_like_bilayer  # noqa: E402

if __name__ == "__main__":
    mu = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    output = sys.argv[2] if len(sys.argv) > 2 else "lambda_map.png"
    model = cri3_like_bilayer()
    n = 96
    # a grid centred on Gamma: shift the fractional coordinates to [-1/2, 1/2)
    frac = (np.arange(n) - n // 2) / n
    kpoints = np.stack(np.meshgrid(frac, frac, indexing="ij"), axis=-1).reshape(-1, 2) @ model.reciprocal_lattice_2d
    values = lambda_map(model, mu, kpoints=kpoints).values.reshape(n, n, 2)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), constrained_layout=True)
    extent = [frac[0] * 2, frac[-1] * 2, frac[0] * 2, frac[-1] * 2]
    for axis, component, name in zip(axes, range(2), ("x", "y"), strict=True):
        limit = np.abs(values[..., component]).max()
        image = axis.imshow(values[..., component].T, origin="lower", extent=extent, cmap="RdBu_r",
                            vmin=-limit, vmax=limit)  # fmt: skip
        axis.set_title(rf"$\Lambda_{name}(\mathbf{{k}})$ at $\mu$ = {mu} eV")
        axis.set_xlabel(r"$k_x a/\pi$")
        axis.set_ylabel(r"$k_y b/\pi$")
        fig.colorbar(image, ax=axis, label=r"$(e/\hbar)\,\AA^3$")
    fig.savefig(output, dpi=120)
    print(f"Wrote {output}")
