"""Gauge invariance of Lambda and chi, and the negative control that dropping the orbital centres is wrong."""

import numpy as np
import pytest
from scipy.stats import unitary_group

from aiida_orbmag.physics import geometry
from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility

SETTINGS = {"mu": [-0.2, 0.0, 0.4], "temperature": [0.0, 200.0], "kmesh": (24, 24)}
TIGHT_BINDING = Conventions(bloch_convention="I", position_operator="diagonal")
TIGHT_BINDING_II = Conventions(bloch_convention="II", position_operator="diagonal")


def _transform(model, unitary):
    """The same physics in a rotated orbital basis: H(R) -> U^+ H(R) U, r(R) -> U^+ r(R) U."""
    ham = np.einsum("am,rab,bn->rmn", unitary.conj(), model.hamiltonian, unitary)
    pos = np.einsum("am,rabc,bn->rmnc", unitary.conj(), model.position, unitary)
    return model.replace(hamiltonian=ham, position=pos)


def _assert_same_response(model_a, model_b, **options):
    a = compute_susceptibility(model_a, **SETTINGS, **options)
    b = compute_susceptibility(model_b, **SETTINGS, **options)
    assert np.allclose(a.chi, b.chi, rtol=1e-10, atol=1e-14)
    assert np.allclose(a.alpha, b.alpha, rtol=1e-10, atol=1e-14)
    assert np.abs(a.chi).max() > 1e-4


@pytest.mark.parametrize("model", [cri3_like_bilayer(), random_model(8, seed=3)], ids=["cri3_like", "random"])
def test_random_orbital_phases(model):
    """|w_m> -> exp(i phi_m)|w_m> leaves chi and alpha unchanged."""
    phases = np.exp(1j * np.random.default_rng(1).uniform(0, 2 * np.pi, model.num_wann))
    _assert_same_response(model, _transform(model, np.diag(phases)))


@pytest.mark.parametrize("model", [cri3_like_bilayer(), random_model(8, seed=3)], ids=["cri3_like", "random"])
def test_rotations_among_orbitals_on_one_site(model):
    """A random unitary mixing the orbitals that share a centre (spin up/down of one layer; the pairs of sites of
    the random model) leaves chi and alpha unchanged."""
    rng = np.random.default_rng(2)
    unitary = np.zeros((model.num_wann, model.num_wann), dtype=complex)
    for start in range(0, model.num_wann, 2):
        assert np.allclose(model.centres[start], model.centres[start + 1])
        unitary[start : start + 2, start : start + 2] = unitary_group.rvs(2, random_state=rng)
    _assert_same_response(model, _transform(model, unitary))


@pytest.mark.parametrize("model", [cri3_like_bilayer(), random_model(8, seed=3)], ids=["cri3_like", "random"])
def test_uniform_shift_of_all_positions(model):
    """Moving every Wannier centre (and the position matrix diagonal) by the same vector changes nothing."""
    shift = np.array([0.37, -0.21, 0.05])
    position = model.position.copy()
    zero = model.r_index[(0, 0, 0)]
    position[zero, np.arange(model.num_wann), np.arange(model.num_wann)] += shift
    shifted = model.replace(centres=model.centres + shift, position=position)
    _assert_same_response(model, shifted)


def test_random_rotations_inside_degenerate_clusters(random_kpoints, bands_at):
    """U(2) rotations of the PT pairs at every k leave cluster sums of Lambda, G and m unchanged pointwise."""
    rng = np.random.default_rng(4)

    def rotate(u, cluster):
        u = u.copy()
        for k in range(len(u)):
            for label in np.unique(cluster[k]):
                members = np.flatnonzero(cluster[k] == label)
                u[k][:, members] = u[k][:, members] @ unitary_group.rvs(len(members), random_state=rng)
        return u

    model = cri3_like_bilayer()
    plain, rotated = bands_at(model, random_kpoints), bands_at(model, random_kpoints, rotation=rotate)
    assert not np.allclose(plain.eigenvectors, rotated.eigenvectors)
    for quantity in (geometry.lambda_tensor, geometry.quantum_metric, geometry.orbital_moment):
        a, b = quantity(plain), quantity(rotated)
        pairs_a = a.reshape(a.shape[:-1] + (2, 2)).sum(-1)
        pairs_b = b.reshape(b.shape[:-1] + (2, 2)).sum(-1)
        assert np.allclose(pairs_a, pairs_b, atol=1e-12)
    # per-band values inside a cluster do depend on the gauge: the test would notice a missing cluster sum
    assert not np.allclose(geometry.orbital_moment(plain), geometry.orbital_moment(rotated), atol=1e-6)


def test_conventions_agree_with_the_full_position_matrix():
    """Bloch conventions I and II are a gauge choice when the full position matrix enters the connection."""
    model = random_model(8, seed=3)
    a = compute_susceptibility(model, **SETTINGS, conventions=Conventions(bloch_convention="I"))
    b = compute_susceptibility(model, **SETTINGS, conventions=Conventions(bloch_convention="II"))
    assert np.allclose(a.chi, b.chi, rtol=1e-10, atol=1e-14)


def test_dropping_the_orbital_centres_changes_chi():
    """Negative control: phases without tau and no position matrix (convention II, diagonal) is a different,
    wrong, answer; convention I with the diagonal position matrix is the tight-binding approximation."""
    model = random_model(8, seed=3)
    right = compute_susceptibility(model, **SETTINGS, conventions=TIGHT_BINDING)
    wrong = compute_susceptibility(model, **SETTINGS, conventions=TIGHT_BINDING_II)
    relative = np.abs(wrong.chi - right.chi).max() / np.abs(right.chi).max()
    assert relative > 0.03
    # the same control on the reference model, whose layers sit at +-0.15 a
    ref = cri3_like_bilayer()
    right = compute_susceptibility(ref, [0.0], [0.0], (24, 24), conventions=TIGHT_BINDING)
    wrong = compute_susceptibility(ref, [0.0], [0.0], (24, 24), conventions=TIGHT_BINDING_II)
    assert abs(wrong.chi[0, 0, 0] - right.chi[0, 0, 0]) > 1e-4 * abs(right.chi[0, 0, 0])
