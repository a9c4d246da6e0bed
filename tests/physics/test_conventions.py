"""The conventions object: validated on construction, its defaults written once and used by every entry point."""

import inspect

import pytest

from aiida_orbmag.physics import conventions as conventions_module
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS, Conventions
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from aiida_orbmag.physics.response import compute_susceptibility


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"degeneracy_tol": -1.0}, "non-negative"),
        ({"degeneracy_tol": float("nan")}, "non-negative"),
        ({"degeneracy_tol": float("inf")}, "finite"),
        ({"degeneracy_tol": True}, "non-negative"),
        ({"max_out_of_plane_hopping": -1e-3}, "non-negative"),
        ({"metric_form": "numerical"}, "Unknown metric form"),
        ({"bloch_convention": "III"}, "Unknown Bloch phase convention"),
        ({"position_operator": "offdiagonal"}, "Unknown position operator"),
    ],
)
def test_bad_conventions_are_refused_on_construction(changes, message):
    with pytest.raises(ValueError, match=message):
        Conventions(**changes)
    with pytest.raises(ValueError, match=message):
        DEFAULT_CONVENTIONS.replace(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"processes": 0}, "processes must be a positive integer"),
        ({"processes": True}, "processes must be a positive integer"),
        ({"memory_bytes": 0}, "memory_bytes must be a positive integer"),
        ({"max_kpoints": 2.5}, "max_kpoints must be a positive integer"),
        ({"fft_workers": 0}, "fft_workers must be a non-zero integer"),
        ({"interpolation": "fast"}, "Unknown interpolation"),
        ({"occupation_method": "fast"}, "Unknown occupation method"),
    ],
)
def test_bad_execution_settings_are_refused_on_construction(changes, message):
    with pytest.raises(ValueError, match=message):
        Execution(**changes)


def test_wrong_objects_in_place_of_conventions_or_execution():
    with pytest.raises(ValueError, match="conventions must be a Conventions object"):
        compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (4, 4), conventions={"metric_form": "analytic"})
    with pytest.raises(ValueError, match="execution must be an Execution object"):
        compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (4, 4), execution={"processes": 2})


def test_defaults_and_settings_record():
    assert DEFAULT_CONVENTIONS == Conventions()
    assert DEFAULT_CONVENTIONS.degeneracy_tol == conventions_module.DEFAULT_DEGENERACY_TOL_EV == 1e-5
    assert DEFAULT_CONVENTIONS.max_out_of_plane_hopping == conventions_module.DEFAULT_MAX_OUT_OF_PLANE_HOPPING_EV
    result = compute_susceptibility(cri3_like_bilayer(), [0.0], [0.0], (4, 4))
    assert {key: result.settings[key] for key in DEFAULT_CONVENTIONS.as_settings()} == {
        "degeneracy_tol_eV": 1e-5,
        "bloch_convention": "I",
        "position_operator": "full",
        "metric_form": "analytic",
    }
    with pytest.raises(AttributeError):
        DEFAULT_CONVENTIONS.degeneracy_tol = 1.0  # frozen: a shared default cannot be changed in place


def test_max_out_of_plane_hopping_reaches_the_two_dimensional_check():
    model = cri3_like_bilayer()
    r_vectors = model.r_vectors.copy()
    index = next(i for i, r in enumerate(r_vectors) if any(r) and abs(model.hamiltonian[i]).max() > 0)
    partner = model.r_index[tuple(-r_vectors[index])]
    r_vectors[index, 2], r_vectors[partner, 2] = 1, -1  # one pair of hoppings turned into hoppings along a3
    size = float(abs(model.hamiltonian[index] / model.degeneracy[index]).max())
    layered = model.replace(r_vectors=r_vectors)
    with pytest.raises(ValueError, match="3D model"):
        compute_susceptibility(layered, [0.0], [0.0], (4, 4), conventions=Conventions(position_operator="diagonal"))
    loose = Conventions(position_operator="diagonal", max_out_of_plane_hopping=2 * size)
    result = compute_susceptibility(layered, [0.0], [0.0], (4, 4), conventions=loose)
    assert result.settings["out_of_plane_hopping_eV"] == pytest.approx(size)


def test_entry_points_take_one_conventions_object():
    from aiida_orbmag.physics.fourier import FourierInterpolator
    from aiida_orbmag.physics.response import lambda_map
    from aiida_orbmag.physics.topology import chern_number

    for function in (compute_susceptibility, lambda_map, chern_number, FourierInterpolator):
        parameters = inspect.signature(function).parameters
        assert parameters["conventions"].default is DEFAULT_CONVENTIONS, function
        assert not {"degeneracy_tol", "convention", "position_operator", "metric_form"} & set(parameters), function


def test_numpy_numbers_are_accepted():
    import numpy as np

    assert Conventions(degeneracy_tol=np.float32(1e-4), max_out_of_plane_hopping=np.int64(0)).degeneracy_tol > 0
