"""Analytic tight-binding models with known answers, used by the tests, the examples and the benchmarks.

All energies in eV, lengths in Å. Every model is a slab: a3 = (0, 0, ``vacuum``) and no hopping along it.
"""

from __future__ import annotations

import numpy as np

from .model import TightBindingModel, model_from_hoppings

PAULI = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)

#: Five mutually anticommuting 4x4 Hermitian matrices (sigma_i x tau_x, 1 x tau_y, 1 x tau_z).
GAMMA = np.array(
    [np.kron(PAULI[1], PAULI[1]), np.kron(PAULI[2], PAULI[1]), np.kron(PAULI[3], PAULI[1]),
     np.kron(PAULI[0], PAULI[2]), np.kron(PAULI[0], PAULI[3])]
)  # fmt: skip

#: Parameters of the reference model mimicking AFM bilayer CrI3 (eV, lattice constants in Å).
CRI3_LIKE_PARAMETERS = {
    "t_x": 0.25, "t_y": 0.20, "t_prime": 0.05, "exchange": 1.2, "soc": 0.25, "soc_interlayer": 0.15,
    "t1": 0.30, "t2": 0.10, "shift": 0.3, "a": 1.0, "b": 1.0,
}  # fmt: skip

#: chi of the reference model at half filling, in (e^2/hbar) Å, from an independent calculation.
CRI3_LIKE_CHI_HALF_FILLING = (3.47286342e-3, 0.0)


def _rectangular_lattice(a: float, b: float, vacuum: float) -> np.ndarray:
    return np.diag([a, b, vacuum])


def cri3_like_bilayer(*, zeeman: float = 0.0, vacuum: float = 20.0, **overrides) -> TightBindingModel:
    """Four-band model of an interlayer-antiferromagnetic bilayer (PT and C2y kept; P, T, C2z broken).

    Basis (bottom up, bottom down, top up, top down); bottom orbitals at (-s a/2, 0), top at (+s a/2, 0);
    tau_z = +1 on top. In Bloch convention I:

        H(k) = eps0(k) + J tau_z sigma_z - 2 lam tau_z (sigma_x sin k_y b - sigma_y sin k_x a)
               - 2 lam_I tau_z sigma_z sin k_y b + [h_perp(k) tau_+ + h.c.] + zeeman sigma_z
        eps0 = -2 t_x cos k_x a - 2 t_y cos k_y b - 4 t' cos k_x a cos k_y b
        h_perp = -t1 exp(-i k_x s a) - t2 exp(i k_x (1 - s) a)

    ``zeeman`` (eV) is a uniform spin splitting that breaks PT and lifts the band degeneracy.
    Keyword overrides are the keys of :data:`CRI3_LIKE_PARAMETERS`.
    """
    unknown = set(overrides) - set(CRI3_LIKE_PARAMETERS)
    if unknown:
        raise ValueError(f"Unknown parameters {sorted(unknown)}; allowed: {sorted(CRI3_LIKE_PARAMETERS)}.")
    p = {**CRI3_LIKE_PARAMETERS, **overrides}
    a, b, s = p["a"], p["b"], p["shift"]
    s0, sx, sy, sz = PAULI
    top = np.diag([0.0, 1.0])  # layer projectors in the (bottom, top) space
    bottom = np.diag([1.0, 0.0])
    tau_z = top - bottom
    tau_plus = np.array([[0.0, 0.0], [1.0, 0.0]])  # |top><bottom|

    def in_layer(layer, spin):
        return np.kron(layer, spin)

    hop = {
        (0, 0, 0): p["exchange"] * in_layer(tau_z, sz)
        + zeeman * in_layer(np.eye(2), sz)
        - p["t1"] * in_layer(tau_plus, s0),
        (1, 0, 0): -p["t_x"] * in_layer(np.eye(2), s0)
        - 1j * p["soc"] * in_layer(tau_z, sy)
        - p["t2"] * in_layer(tau_plus, s0),
        (0, 1, 0): -p["t_y"] * in_layer(np.eye(2), s0)
        + 1j * p["soc"] * in_layer(tau_z, sx)
        + 1j * p["soc_interlayer"] * in_layer(tau_z, sz),
        (1, 1, 0): -p["t_prime"] * in_layer(np.eye(2), s0),
        (1, -1, 0): -p["t_prime"] * in_layer(np.eye(2), s0),
    }
    # the R = 0 block was given as its lower triangle (tau_+ only): make it Hermitian
    hop[(0, 0, 0)] = hop[(0, 0, 0)] + np.tril(hop[(0, 0, 0)], -1).conj().T
    # R = -a x (and the other -R blocks) follow by Hermiticity, t(-R) = t(R)^dagger, in model_from_hoppings
    centres = np.array([[-s * a / 2, 0, 0]] * 2 + [[s * a / 2, 0, 0]] * 2)
    return model_from_hoppings(
        _rectangular_lattice(a, b, vacuum), centres, hop, source="cri3_like_bilayer", spinor=True
    )


def two_band_model(
    *, mass: float = 2.5, tilt: tuple[float, float, float] = (0.3, 0.2, 0.1), vacuum: float = 20.0
) -> TightBindingModel:
    """One-site two-band model H = d0 + d . sigma on a square lattice (a = 1 Å), gapped and topologically trivial
    for |mass| > 2:

        d = (sin k_x, sin k_y, mass - cos k_x - cos k_y),   d0 = tilt[0] sin k_x + tilt[1] cos k_y + tilt[2] sin k_y
    """
    s0, sx, sy, sz = PAULI
    t_sin_x, t_cos_y, t_sin_y = tilt
    hop = {
        (0, 0, 0): mass * sz,
        # sum_R t(R) e^{ik.R} with t(+x) = c, t(-x) = c^dagger: sin k_x needs c = -i/2, cos k_x needs c = 1/2
        (1, 0, 0): -0.5j * sx - 0.5 * sz - 0.5j * t_sin_x * s0,
        (0, 1, 0): -0.5j * sy - 0.5 * sz + 0.5 * t_cos_y * s0 - 0.5j * t_sin_y * s0,
    }
    return model_from_hoppings(_rectangular_lattice(1.0, 1.0, vacuum), np.zeros((2, 3)), hop, source="two_band_model")


def two_band_vectors(k: np.ndarray, *, mass: float = 2.5, tilt=(0.3, 0.2, 0.1)):
    """d0(k), d(k) of :func:`two_band_model` and their k-derivatives, analytically.

    Returns (d0 (nk,), grad_d0 (nk, 2), d (nk, 3), grad_d (nk, 2, 3)) with ``grad[:, j]`` = d/dk_j.
    """
    kx, ky = np.asarray(k)[:, 0], np.asarray(k)[:, 1]
    zero = np.zeros_like(kx)
    d0 = tilt[0] * np.sin(kx) + tilt[1] * np.cos(ky) + tilt[2] * np.sin(ky)
    grad_d0 = np.stack([tilt[0] * np.cos(kx), -tilt[1] * np.sin(ky) + tilt[2] * np.cos(ky)], axis=1)
    d = np.stack([np.sin(kx), np.sin(ky), mass - np.cos(kx) - np.cos(ky)], axis=1)
    grad_d = np.stack(
        [np.stack([np.cos(kx), zero, np.sin(kx)], axis=1), np.stack([zero, np.cos(ky), np.sin(ky)], axis=1)], axis=1
    )
    return d0, grad_d0, d, grad_d


#: Fourier coefficients of the Gamma-matrix model: for each of (eps0, d_1..d_5), [c_0, (cos kx, sin kx, cos ky,
#: sin ky, cos(kx+ky), sin(kx-ky))] -- chosen so the model is gapped (|d| >= 0.6 eV) and without any symmetry.
GAMMA_MODEL_COEFFICIENTS = np.array(
    [
        [0.10, 0.30, 0.20, -0.15, 0.25, 0.10, 0.05],
        [1.50, 0.20, 0.30, 0.10, -0.20, 0.15, 0.10],
        [0.20, -0.10, 0.40, 0.30, 0.10, -0.05, 0.20],
        [-0.30, 0.25, -0.10, 0.20, 0.35, 0.10, -0.15],
        [0.10, 0.10, 0.20, -0.30, 0.10, 0.20, 0.05],
        [0.40, -0.20, 0.10, 0.15, -0.25, -0.10, 0.30],
    ]
)
_GAMMA_HARMONICS = [(1, 0, "cos"), (1, 0, "sin"), (0, 1, "cos"), (0, 1, "sin"), (1, 1, "cos"), (1, -1, "sin")]


def gamma_matrix_model(*, vacuum: float = 20.0) -> TightBindingModel:
    """One-site four-band model H = eps0 + sum_a d_a Gamma_a: every band doubly degenerate at every k (as in a PT
    magnet), eigenvalues eps0 -/+ |d|. Coefficients in :data:`GAMMA_MODEL_COEFFICIENTS`."""
    matrices = np.concatenate([np.eye(4)[None], GAMMA])
    coeff = GAMMA_MODEL_COEFFICIENTS
    hop = {(0, 0, 0): np.einsum("a,aij->ij", coeff[:, 0], matrices)}
    for column, (n1, n2, kind) in enumerate(_GAMMA_HARMONICS, start=1):
        # c cos(k.R) -> t(R) = c/2 ; c sin(k.R) -> t(R) = -i c/2 (and t(-R) = t(R)^dagger)
        factor = 0.5 if kind == "cos" else -0.5j
        block = factor * np.einsum("a,aij->ij", coeff[:, column], matrices)
        key = (n1, n2, 0)
        hop[key] = hop.get(key, 0) + block
    return model_from_hoppings(
        _rectangular_lattice(1.0, 1.0, vacuum), np.zeros((4, 3)), hop, source="gamma_matrix_model"
    )


def gamma_model_vectors(k: np.ndarray):
    """eps0(k), d(k) (nk, 5) of :func:`gamma_matrix_model` and their gradients (nk, 2) and (nk, 2, 5)."""
    k = np.asarray(k)
    values = [GAMMA_MODEL_COEFFICIENTS[:, 0][None, :].repeat(len(k), 0)]
    grads = [np.zeros((len(k), 2, 6))]
    for column, (n1, n2, kind) in enumerate(_GAMMA_HARMONICS, start=1):
        phase = n1 * k[:, 0] + n2 * k[:, 1]
        c = GAMMA_MODEL_COEFFICIENTS[:, column]
        f, df = (np.cos(phase), -np.sin(phase)) if kind == "cos" else (np.sin(phase), np.cos(phase))
        values.append(f[:, None] * c)
        grads.append(np.stack([n1 * df, n2 * df], axis=1)[:, :, None] * c)
    value, grad = sum(values), sum(grads)
    return value[:, 0], grad[:, :, 0], value[:, 1:], grad[:, :, 1:]


def random_model(
    num_wann: int = 8,
    *,
    seed: int = 0,
    orbitals_per_site: int = 2,
    hopping_range: int = 1,
    position_spread: float = 0.05,
    vacuum: float = 20.0,
) -> TightBindingModel:
    """A random Hermitian model on an oblique lattice, with orbitals grouped on sites at random positions and a
    random off-diagonal position matrix (Å) of size ``position_spread``: no symmetry, nothing accidental.

    Hoppings decay as exp(-|R + tau_n - tau_m|) and cover all R with |R1|, |R2| <= ``hopping_range``.
    """
    if num_wann % orbitals_per_site:
        raise ValueError("num_wann must be a multiple of orbitals_per_site.")
    rng = np.random.default_rng(seed)
    lattice = np.array([[1.0, 0.0, 0.0], [0.35, 1.1, 0.0], [0.0, 0.0, vacuum]])
    sites = rng.uniform(0, 1, size=(num_wann // orbitals_per_site, 2)) @ lattice[:2, :2]
    centres = np.zeros((num_wann, 3))
    centres[:, :2] = np.repeat(sites, orbitals_per_site, axis=0)
    span = range(-hopping_range, hopping_range + 1)
    half = [(n1, n2, 0) for n1 in span for n2 in span if (n1, n2) > (0, 0)]  # one of each +-R pair
    r_vectors = [(0, 0, 0)] + half + [(-n1, -n2, 0) for n1, n2, _ in half]

    def random_complex(shape):
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    ham, pos = {}, {}
    for r in [(0, 0, 0)] + half:
        disp = np.array(r[:2]) @ lattice[:2, :2] + centres[None, :, :2] - centres[:, None, :2]
        ham[r] = 0.5 * random_complex((num_wann, num_wann)) * np.exp(-np.linalg.norm(disp, axis=-1))
        pos[r] = position_spread * random_complex((num_wann, num_wann, 3))
    ham[(0, 0, 0)] = 0.5 * (ham[(0, 0, 0)] + ham[(0, 0, 0)].conj().T)
    pos0 = 0.5 * (pos[(0, 0, 0)] + np.conj(np.swapaxes(pos[(0, 0, 0)], 0, 1)))
    pos0[np.arange(num_wann), np.arange(num_wann)] = centres
    pos[(0, 0, 0)] = pos0
    for r in half:
        minus = (-r[0], -r[1], 0)
        ham[minus] = ham[r].conj().T
        pos[minus] = np.conj(np.swapaxes(pos[r], 0, 1))
    return TightBindingModel(
        lattice=lattice,
        r_vectors=np.array(r_vectors),
        degeneracy=np.ones(len(r_vectors), dtype=np.int64),
        hamiltonian=np.stack([ham[r] for r in r_vectors]),
        centres=centres,
        position=np.stack([pos[r] for r in r_vectors]),
        source=f"random_model(num_wann={num_wann}, seed={seed})",
    )
