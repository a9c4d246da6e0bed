"""Band-geometric quantities per band and k-point, in reduced units (e/hbar taken out; eV, Å).

Source: C. Xiao, H. Liu, J. Zhao, S. A. Yang, Q. Niu, PRB 103, 045401 (2021), Eq. 11, with the interband orbital
moment used literally and degenerate bands treated as clusters (all interband sums run outside the cluster D(n) of
band n). Index legend: k = k-point, n m p = bands, i l j a b = Cartesian x, y.

Per-band values inside a degenerate cluster depend on the gauge; their cluster sums do not, and only cluster sums
enter the responses.
"""

from __future__ import annotations

import numpy as np

from .bands import BandBasis


def berry_connection(bands: BandBasis) -> np.ndarray:
    """Interband Berry connection A_a^nm (Å), (k, a, n, m).

    A_a^nm = i V_a^nm / (e_m - e_n) for m outside D(n), zero inside.
    """
    return -1j * bands.velocity * bands.inverse_gap[:, None]


def quantum_metric(bands: BandBasis, connection: np.ndarray | None = None) -> np.ndarray:
    """Band-resolved quantum metric G^n_il (Å²), (k, i, l, n): G^n_il = Re sum_{m not in D(n)} A_i^nm A_l^mn.

    Summed over a cluster it is the subspace metric Re Tr[P_D d_i P_D (1 - P_D) d_l P_D].
    """
    a = berry_connection(bands) if connection is None else connection
    return np.real(np.einsum("kinm,klmn->kiln", a, a))


def orbital_moment_interband(bands: BandBasis, connection: np.ndarray | None = None) -> np.ndarray:
    """Interband orbital moment M^mn in (e/hbar) eV Å², (k, m, n); Xiao et al. 2021 (text below Eq. 11).

    M^mn = (1/2) [ sum_{m' not in D(n)} (V_x^mm' A_y^m'n - V_y^mm' A_x^m'n) + V_x^nn A_y^mn - V_y^nn A_x^mn ],
    used literally (at m = n it equals minus the intraband moment); V^nn is the cluster's mean velocity.
    """
    a = berry_connection(bands) if connection is None else connection
    v = bands.velocity
    vbar = bands.cluster_velocity[:, :, None, :]  # (k, a, 1, n): velocity of the column band n
    return 0.5 * (v[:, 0] @ a[:, 1] - v[:, 1] @ a[:, 0] + a[:, 1] * vbar[:, 0] - a[:, 0] * vbar[:, 1])


def lambda_first_term(bands: BandBasis, connection: np.ndarray | None = None) -> np.ndarray:
    """First term of Lambda (Xiao et al. 2021, Eq. 11) in (e/hbar) Å³, (k, i, n).

    T1_i^n = 2 Re sum_{m not in D(n)} A_i^nm M^mn / (e_n - e_m).
    """
    a = berry_connection(bands) if connection is None else connection
    moment = orbital_moment_interband(bands, a)
    return 2 * np.real(np.einsum("kinm,kmn->kin", a * bands.inverse_gap[:, None], moment))


def velocity_covariant_derivative(bands: BandBasis) -> np.ndarray:
    """Covariant derivative (V_i)_{;j}^nm (eV Å²), (k, i, j, n, m):

    (V_i)_{;j}^nm = (dV_i/dk_j)^nm + sum_{p not in D(n)} dH_j^np V_i^pm / (e_n - e_p)
                                   + sum_{p not in D(m)} V_i^np dH_j^pm / (e_m - e_p).
    """
    if bands.dvelocity is None:
        raise ValueError("The band basis was built without derivatives; pass derivatives=True to band_basis().")
    rotation_left = bands.dh_band * bands.inverse_gap[:, None]  # (k, j, n, p): dH_j^np / (e_n - e_p)
    v = bands.velocity
    cov = bands.dvelocity.copy()
    for i in range(2):
        for j in range(2):
            # the second sum is the Hermitian conjugate of the first (V, dH Hermitian; 1/(e_n - e_p) antisymmetric)
            product = rotation_left[:, j] @ v[:, i]
            cov[:, i, j] += product + np.conj(np.swapaxes(product, -1, -2))
    return cov


def quantum_metric_derivative(bands: BandBasis) -> np.ndarray:
    """Analytic k-derivative of the quantum metric, d_j G^n_il (Å³), (k, j, i, l, n):

    d_j G^n_il = Re sum_{m not in D(n)} { [(V_i)_{;j}^nm V_l^mn + V_i^nm ((V_l)_{;j}^nm)^*] / (e_n - e_m)^2
                                          - 2 V_i^nm V_l^mn (v_j^n - v_j^m) / (e_n - e_m)^3 },
    with cluster-mean band velocities v. Needed for k-resolved maps of Lambda; integrated over the zone it equals
    the Fermi-surface form (see :mod:`aiida_orbmag.physics.response`).
    """
    cov = velocity_covariant_derivative(bands)
    v = bands.velocity
    inv = bands.inverse_gap
    inv2, inv3 = inv**2, inv**3
    vbar = bands.cluster_velocity
    result = np.empty((len(v), 2, 2, 2, v.shape[-1]))
    for j in range(2):
        dv = vbar[:, j, :, None] - vbar[:, j, None, :]  # (k, n, m): v_j^n - v_j^m
        for i in range(2):
            for l in range(2):  # noqa: E741
                vl_t = np.swapaxes(v[:, l], 1, 2)  # V_l^mn at [n, m]
                first = (cov[:, i, j] * vl_t + v[:, i] * np.conj(cov[:, l, j])) * inv2
                second = 2 * v[:, i] * vl_t * dv * inv3
                result[:, j, i, l] = np.real(np.sum(first - second, axis=-1))
    return result


def lambda_metric_term(bands: BandBasis) -> np.ndarray:
    """Metric term of Lambda (Xiao et al. 2021, Eq. 11), (e/hbar) Å³, (k, i, n): (1/2)(d_x G^n_iy - d_y G^n_ix).

    The same d_j G^n_il as :func:`quantum_metric_derivative`, for the four (j, l) = (x, y), (y, x) components only,
    with the real parts taken before multiplying (V Hermitian: Re[C^nm V_l^mn] = Re C Re V_l + Im C Im V_l at
    [n, m], Re[V_i^nm (C_l^nm)^*] likewise): the elementwise work of this term was half of a k-point's time at
    N_w = 112.
    """
    cov = velocity_covariant_derivative(bands)
    v = bands.velocity
    inv = bands.inverse_gap
    inv2 = inv * inv
    vbar = bands.cluster_velocity
    result = np.zeros((len(v), 2, v.shape[-1]))
    for j, l, sign in ((0, 1, 0.5), (1, 0, -0.5)):  # noqa: E741
        dv = vbar[:, j, :, None] - vbar[:, j, None, :]  # (k, n, m): v_j^n - v_j^m
        weight = 2 * dv * inv2 * inv  # of Re[V_i^nm V_l^mn]
        for i in range(2):
            first = _real_dot(cov[:, i, j], v[:, l]) + _real_dot(v[:, i], cov[:, l, j])
            second = _real_dot(v[:, i], v[:, l])
            result[:, i] += sign * (np.einsum("knm,knm->kn", first, inv2) - np.einsum("knm,knm->kn", second, weight))
    return result


def _real_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Re[a^nm (b^nm)^*] elementwise, (k, n, m)."""
    return a.real * b.real + a.imag * b.imag


def lambda_tensor(bands: BandBasis) -> np.ndarray:
    """Lambda_i^n (e/hbar Å³), (k, i, n): first term plus the analytic metric term (Xiao et al. 2021, Eq. 11)."""
    return lambda_first_term(bands) + lambda_metric_term(bands)


def orbital_moment(bands: BandBasis, connection: np.ndarray | None = None) -> np.ndarray:
    """Intraband orbital moment m_n^z in (e/hbar) eV Å², (k, n).

    m_n = (1/2) sum_{m not in D(n)} [A^nm x V^mn]_z = (1/2) sum (A_x^nm V_y^mn - A_y^nm V_x^mn); its cluster sum is
    the moment of the degenerate subspace (Xiao, Chang, Niu, RMP 82, 1959 (2010), with the charge e signed).
    """
    a = berry_connection(bands) if connection is None else connection
    v = bands.velocity
    return 0.5 * np.real(np.einsum("knm,kmn->kn", a[:, 0], v[:, 1]) - np.einsum("knm,kmn->kn", a[:, 1], v[:, 0]))


def berry_curvature(bands: BandBasis, connection: np.ndarray | None = None) -> np.ndarray:
    """Berry curvature Omega_n^z (Å²), (k, n), Wang et al. PRB 74, 195118 (2006), Eq. 27 in interband form:

    Omega_n = -2 Im sum_{m not in D(n)} A_x^nm A_y^mn + [Abar_{y,x} - Abar_{x,y} - i [Abar_x, Abar_y]]_nn,

    where the bracket (the Wannier-gauge curvature of the position matrix) vanishes in the diagonal-position
    approximation.
    """
    a = berry_connection(bands) if connection is None else connection
    omega = -2 * np.imag(np.einsum("knm,kmn->kn", a[:, 0], a[:, 1]))
    if bands.connection_bar is not None:
        abar, dabar = bands.connection_bar, bands.dconnection_bar
        curl = dabar[:, 1, 0] - dabar[:, 0, 1]
        commutator = abar[:, 0] @ abar[:, 1] - abar[:, 1] @ abar[:, 0]
        omega = omega + np.real(np.einsum("knn->kn", curl - 1j * commutator))
    return omega
