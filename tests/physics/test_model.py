"""Validation of TightBindingModel: every bad input is a ValueError that says what to do."""

import numpy as np
import pytest

from aiida_orbmag.physics.conventions import Conventions
from aiida_orbmag.physics.model import TightBindingModel
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import cri3_like_bilayer, random_model
from aiida_orbmag.physics.response import compute_susceptibility


def _fields(model):
    return {
        "lattice": model.lattice,
        "r_vectors": model.r_vectors,
        "degeneracy": model.degeneracy,
        "hamiltonian": model.hamiltonian,
        "centres": model.centres,
        "position": model.position,
    }


def test_non_hermitian_hamiltonian():
    model = cri3_like_bilayer()
    ham = model.hamiltonian.copy()
    ham[model.r_index[(1, 0, 0)], 0, 1] += 0.01
    with pytest.raises(ValueError, match="not Hermitian"):
        TightBindingModel(**{**_fields(model), "hamiltonian": ham})


def test_missing_partner_vector():
    model = cri3_like_bilayer()
    keep = [i for i, r in enumerate(model.r_vectors) if tuple(r) != (-1, 0, 0)]
    fields = _fields(model)
    fields.update(
        r_vectors=model.r_vectors[keep],
        degeneracy=model.degeneracy[keep],
        hamiltonian=model.hamiltonian[keep],
        position=model.position[keep],
    )
    with pytest.raises(ValueError, match="not closed under R -> -R"):
        TightBindingModel(**fields)


@pytest.mark.parametrize("field", ["hamiltonian", "centres", "position", "lattice"])
def test_nan_values(field):
    fields = _fields(cri3_like_bilayer())
    broken = fields[field].copy()
    broken.flat[0] = np.nan
    with pytest.raises(ValueError, match=f"{field} contains NaN"):
        TightBindingModel(**{**fields, field: broken})


def test_inconsistent_shapes():
    fields = _fields(cri3_like_bilayer())
    with pytest.raises(ValueError, match="centres must have shape"):
        TightBindingModel(**{**fields, "centres": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="degeneracy must hold one positive"):
        TightBindingModel(**{**fields, "degeneracy": np.zeros(len(fields["r_vectors"]), dtype=int)})


def test_three_dimensional_model_is_refused():
    """A model with sizeable hoppings along a3 is a 3D crystal: a clear error, not a silent k_z = 0 cut."""
    model = cri3_like_bilayer()
    r_vectors = model.r_vectors.copy()
    r_vectors[model.r_index[(1, 0, 0)]] = (1, 0, 1)
    r_vectors[model.r_index[(-1, 0, 0)]] = (-1, 0, -1)
    stacked = model.replace(r_vectors=r_vectors)
    with pytest.raises(ValueError, match="This is a 3D model"):
        compute_susceptibility(stacked, [0.0], [0.0], (4, 4))


def test_tilted_layer_is_refused():
    model = cri3_like_bilayer()
    lattice = model.lattice.copy()
    lattice[0, 2] = 0.5
    with pytest.raises(ValueError, match="not in the xy plane"):
        compute_susceptibility(model.replace(lattice=lattice), [0.0], [0.0], (4, 4))


def test_full_position_operator_needs_the_position_matrix():
    model = random_model(4, seed=1).replace(position=None)
    with pytest.raises(ValueError, match="lacks"):
        compute_susceptibility(model, [0.0], [0.0], (4, 4))
    # the tight-binding approximation is an explicit choice, and then works
    result = compute_susceptibility(model, [0.0], [0.0], (4, 4), conventions=Conventions(position_operator="diagonal"))
    assert result.settings["position_operator"] == "diagonal"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"mu": []}, "at least one chemical potential"),
        ({"mu": [np.nan]}, "must be finite"),
        ({"temperature": [-1.0]}, ">= 0 K"),
        ({"kmesh": (0, 4)}, "two positive integers"),
        ({"kmesh": (4.5, 4)}, "two positive integers"),
        ({"relaxation_time_fs": -2.0}, "positive number of fs"),
        ({"relaxation_time_fs": 5.0, "temperature": [0.0]}, "temperatures > 0 K"),
    ],
)
def test_bad_arguments(arguments, message):
    settings = {"mu": [0.0], "temperature": [0.0], "kmesh": (4, 4), **arguments}
    with pytest.raises(ValueError, match=message):
        compute_susceptibility(cri3_like_bilayer(), **settings)


def test_position_matrix_of_the_home_cell_must_be_hermitian():
    """An imaginary diagonal (centre) or a non-Hermitian R = 0 block is a corrupted file: refused."""
    model = cri3_like_bilayer()
    zero = model.r_index[(0, 0, 0)]
    position = model.position.copy()
    position[zero, 0, 0, 0] += 0.9j
    with pytest.raises(ValueError, match=r"home cell \(R = 0\) is not Hermitian"):
        model.replace(position=position)
    position = model.position.copy()
    position[zero, 0, 2, 1] += 0.05
    with pytest.raises(ValueError, match="not Hermitian"):
        model.replace(position=position)


def test_only_the_hermitian_part_of_the_position_matrix_enters():
    """wannier90's r(R != 0) is not Hermitian (finite-difference formula): an anti-Hermitian addition,
    X(-R) = -X(R)^dagger, leaves chi unchanged to round-off, a Hermitian one of the same size changes it."""
    model = random_model(6, seed=11)
    rng = np.random.default_rng(4)
    minus = np.array([model.r_index[tuple(-r)] for r in model.r_vectors])
    noise = 0.05 * (rng.normal(size=model.position.shape) + 1j * rng.normal(size=model.position.shape))
    noise[model.r_index[(0, 0, 0)]] = 0.0
    anti = noise - np.conj(np.swapaxes(noise[minus], 1, 2))
    herm = noise + np.conj(np.swapaxes(noise[minus], 1, 2))
    weights = model.degeneracy[:, None, None, None]
    reference = compute_susceptibility(model, [-0.2, 0.3], [0.0], (12, 12)).chi
    skewed = model.replace(position=model.position + anti * weights)
    assert skewed.position_anti_hermitian_part() > 0.05
    np.testing.assert_allclose(compute_susceptibility(skewed, [-0.2, 0.3], [0.0], (12, 12)).chi, reference, atol=1e-12)
    changed = compute_susceptibility(
        model.replace(position=model.position + herm * weights), [-0.2, 0.3], [0.0], (12, 12)
    )
    assert np.abs(changed.chi - reference).max() > 1e-3 * np.abs(reference).max()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r_vectors", "huge", "beyond the accepted"),
        ("r_vectors", "fraction", "must hold integers"),
        ("degeneracy", "fraction", "must hold integers"),
        ("lattice", "huge", "exceeds"),
    ],
)
def test_out_of_range_or_fractional_integers_are_refused(field, value, message):
    """R components of 1e30 used to wrap to INT64_MIN and pass as +-R partners; a float 1.7 was truncated to 1."""
    model = cri3_like_bilayer()
    if field == "lattice":
        changed = model.lattice.copy()
        changed[0, 0] = 1e300
    else:
        changed = getattr(model, field).astype(float)
        changed.flat[-1] = 1e30 if value == "huge" else changed.flat[-1] + 0.7
    with pytest.raises(ValueError, match=message):
        model.replace(**{field: changed})


def test_non_finite_results_are_an_error():
    """A lattice that passes validation but makes the sums overflow gives a ValueError, never NaN."""
    model = cri3_like_bilayer()
    huge = model.replace(hamiltonian=model.hamiltonian * 1e300)
    with pytest.raises(ValueError, match="not finite"):
        compute_susceptibility(huge, [0.0], [0.0], (4, 4))


def test_kmesh_bound_states_the_cost_and_can_be_raised():
    model = cri3_like_bilayer()
    with pytest.raises(ValueError, match=r"100000 x 100000 has 1e\+10 k-points.*hours.*max_kpoints"):
        compute_susceptibility(model, [0.0], [0.0], (100000, 100000))
    with pytest.raises(ValueError, match="two positive integers"):
        compute_susceptibility(model, [0.0], [0.0], (True, True))
    result = compute_susceptibility(model, [0.0], [0.0], (2, 3), execution=Execution(max_kpoints=6))
    assert result.kmesh == (2, 3)
    with pytest.raises(ValueError, match="more than the 5 accepted"):
        compute_susceptibility(model, [0.0], [0.0], (2, 3), execution=Execution(max_kpoints=5))
