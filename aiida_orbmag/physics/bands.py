"""Band-basis matrices at a batch of k-points: energies, velocity matrix, its k-derivative, degenerate clusters.

Index legend: k = k-point, n m p = bands, a b = Cartesian x, y.

Velocity (eV Å; hbar v = V). With the Wannier-gauge Berry connection A^W (Wang, Yates, Souza, Vanderbilt, PRB 74,
195118 (2006), Eqs. 23-26), the velocity operator inside the Wannier space is

    V_a = dH/dk_a + i [H, A^W_a]            (band basis: V^nm = (dH_a)^nm + i (e_n - e_m) Abar_a^nm),

so that the interband Berry connection is A^nm = i V^nm / (e_m - e_n) with both terms included, and V^nn = de_n/dk_a.
Its k-derivative (the operator, before rotation to the band basis) is

    dV_a/dk_b = d²H/dk_a dk_b + i [dH/dk_b, A^W_a] + i [H, dA^W_a/dk_b].

Eigenvectors rotate with dH/dk (not V): (U^+ dU/dk_b)^pm = (dH_b)^pm / (e_m - e_p) for p outside the cluster of m.

Degenerate clusters D(n): bands whose energies differ by less than ``degeneracy_tol`` (eV), chained along the
sorted spectrum at each k. All interband sums run outside the cluster; cluster-level quantities use the cluster's
mean energy and mean velocity.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .fourier import WannierGaugeMatrices


def _sandwich(u: np.ndarray, matrix: np.ndarray, u_dagger: np.ndarray | None = None) -> np.ndarray:
    """U^+ X U for stacked X with any number of Cartesian axes between k and the two band axes."""
    if u_dagger is None:
        u_dagger = np.conj(np.swapaxes(u, -1, -2))
    shape = u.shape[:1] + (1,) * (matrix.ndim - 3) + u.shape[1:]
    return u_dagger.reshape(shape) @ matrix @ u.reshape(shape)


@dataclasses.dataclass(frozen=True)
class BandBasis:
    """Band-basis quantities at a batch of k-points (see the module docstring).

    energies (k, n) eV; eigenvectors (k, m, n); velocity V (k, a, n, m) eV Å; dh_band (k, a, n, m) = U^+ dH_a U;
    dvelocity (k, a, b, n, m) = U^+ (dV_a/dk_b) U (eV Å²) or None; connection_bar (k, a, n, m) = U^+ A^W U (Å) or
    None; dconnection_bar (k, a, b, n, m) = U^+ dA^W_a/dk_b U or None; cluster (k, n) integer labels;
    outside (k, n, m) True where m is not in D(n); inverse_gap (k, n, m) = 1/(e_n - e_m) outside D(n), 0 inside;
    cluster_energy (k, n) and cluster_velocity (k, a, n): means over D(n).
    """

    energies: np.ndarray
    eigenvectors: np.ndarray
    velocity: np.ndarray
    dh_band: np.ndarray
    dvelocity: np.ndarray | None
    connection_bar: np.ndarray | None
    dconnection_bar: np.ndarray | None
    cluster: np.ndarray
    outside: np.ndarray
    inverse_gap: np.ndarray
    cluster_energy: np.ndarray
    cluster_velocity: np.ndarray


def pt_pair_splitting(energies: np.ndarray) -> float:
    """Largest splitting (eV) between the two members of each pair of bands (1, 2), (3, 4), ... over all k.

    ``energies`` (k, n) eV. With PT symmetry (inversion times time reversal) every band is doubly degenerate, so
    any such splitting of a model that should have PT is spurious. With an odd n the top band is left out.
    """
    energies = np.sort(np.asarray(energies, dtype=float), axis=-1)
    pairs = energies[..., : energies.shape[-1] // 2 * 2].reshape(*energies.shape[:-1], -1, 2)
    return float(np.max(pairs[..., 1] - pairs[..., 0], initial=0.0))


def degenerate_clusters(energies: np.ndarray, tol: float) -> np.ndarray:
    """(k, n) cluster labels: consecutive sorted bands closer than ``tol`` (eV) share a label (chained)."""
    if not tol >= 0:
        raise ValueError(f"The degeneracy tolerance must be a non-negative energy in eV, got {tol}.")
    new = np.diff(energies, axis=-1) >= tol
    return np.concatenate([np.zeros(energies.shape[:-1] + (1,), dtype=np.int64), np.cumsum(new, axis=-1)], axis=-1)


def band_basis(
    wannier: WannierGaugeMatrices,
    degeneracy_tol: float,
    derivatives: bool = True,
    rotation=None,
    connection_derivative: bool = True,
) -> BandBasis:
    """Diagonalise H(k) and rotate the Wannier-gauge matrices to the band basis.

    :param degeneracy_tol: energy (eV) below which bands form one degenerate cluster.
    :param derivatives: also form dV/dk (needed for the analytic metric derivative).
    :param rotation: optional callable ``(eigenvectors, cluster) -> eigenvectors`` applied before anything else is
        computed (the gauge-invariance tests use it to rotate states inside clusters).
    :param connection_derivative: also rotate dA^W/dk to ``dconnection_bar`` (the Berry curvature needs it); it is
        rotated anyway when ``derivatives`` is set, since dV/dk contains it. Four N_w³ sandwiches per k saved
        otherwise.
    """
    energies, u = np.linalg.eigh(wannier.hamiltonian)
    cluster = degenerate_clusters(energies, degeneracy_tol)
    if rotation is not None:
        u = rotation(u, cluster)
    outside = cluster[:, :, None] != cluster[:, None, :]
    with np.errstate(divide="ignore"):
        inverse_gap = np.where(outside, 1.0 / (energies[:, :, None] - energies[:, None, :] + ~outside), 0.0)
    u_dagger = np.conj(np.swapaxes(u, -1, -2))
    dh_band = _sandwich(u, wannier.dh, u_dagger)
    energy_diff = energies[:, None, :, None] - energies[:, None, None, :]  # (k, 1, n, m): e_n - e_m
    velocity = dh_band
    abar = dabar = None
    if wannier.connection is not None:
        abar = _sandwich(u, wannier.connection, u_dagger)
        velocity = dh_band + 1j * energy_diff * abar
        if derivatives or connection_derivative:
            if wannier.dconnection is None:
                raise ValueError("dA^W/dk is missing: interpolate with connection_derivative=True.")
            dabar = _sandwich(u, wannier.dconnection, u_dagger)  # (k, a, b, n, m): d A_a / dk_b
    dvelocity = None
    if derivatives:
        # d2H is symmetric in (a, b): three rotations, not four
        dvelocity = np.empty(wannier.d2h.shape, dtype=complex)  # (k, a, b, n, m)
        for a, b in ((0, 0), (0, 1), (1, 1)):
            dvelocity[:, a, b] = _sandwich(u, wannier.d2h[:, a, b], u_dagger)
        dvelocity[:, 1, 0] = dvelocity[:, 0, 1]
        if abar is not None:
            for a in range(2):
                for b in range(2):
                    # [X, Y] = XY - (XY)^+ for Hermitian X, Y: one product, not two
                    product = dh_band[:, b] @ abar[:, a]
                    commutator = product - np.conj(np.swapaxes(product, -1, -2))
                    dvelocity[:, a, b] += 1j * commutator + 1j * energy_diff[:, 0] * dabar[:, a, b]
    same = (~outside).astype(float)
    count = same.sum(axis=-1)
    cluster_energy = np.einsum("knm,km->kn", same, energies) / count
    diagonal_velocity = np.real(np.einsum("kann->kan", velocity))
    cluster_velocity = np.einsum("knm,kam->kan", same, diagonal_velocity) / count[:, None]
    return BandBasis(
        energies=energies,
        eigenvectors=u,
        velocity=velocity,
        dh_band=dh_band,
        dvelocity=dvelocity,
        connection_bar=abar,
        dconnection_bar=dabar,
        cluster=cluster,
        outside=outside,
        inverse_gap=inverse_gap,
        cluster_energy=cluster_energy,
        cluster_velocity=cluster_velocity,
    )


def band_energies(model, kpoints: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Band energies (eV), (nk, num_wann) ascending, of ``model`` at fractional k-points ``kpoints`` (nk, 3).

    H(k) = sum_R exp(2 pi i k.R) t(R) (Wannier90's tight-binding convention; the eigenvalues do not depend on the Bloch
    phase convention). A direct sum, for the few hundred k-points of a band path or an NSCF grid.
    """
    kpoints = np.atleast_2d(np.asarray(kpoints, dtype=float))
    if kpoints.shape[1] != 3:
        raise ValueError("The k-points must be fractional (k1, k2, k3) triples.")
    hoppings = model.hoppings()
    result = []
    for start in range(0, len(kpoints), chunk):
        phases = np.exp(2j * np.pi * kpoints[start : start + chunk] @ model.r_vectors.T)  # k R
        result.append(np.linalg.eigvalsh(np.einsum("kr,rmn->kmn", phases, hoppings)))
    return np.concatenate(result)


def band_energies_on_grid(model, kmesh) -> np.ndarray:
    """:func:`band_energies` (eV, (n1 n2, num_wann)) on the uniform Gamma-centred grid k = (i/n1) b1 + (j/n2) b2, in
    the C order of :func:`~aiida_orbmag.physics.kgrid.uniform_grid` (j fastest)."""
    n1, n2 = kmesh
    fractional = np.stack(np.meshgrid(np.arange(n1) / n1, np.arange(n2) / n2, indexing="ij"), axis=-1).reshape(-1, 2)
    return band_energies(model, np.column_stack([fractional, np.zeros(len(fractional))]))
