"""Planted finished chains (no DFT) for the results, provenance and plot-from-node tests."""

import pytest

from aiida_orbmag.demo import PSEUDO_DIR, pseudo_families
from tests.tools.planted import planted_chain


@pytest.fixture
def planted_codes(stand_in_codes):
    """Stand-in codes labelled pw, pw2wannier90, wannier90 (@localhost), as a real chain's would be."""
    return stand_in_codes()


@pytest.fixture
def make_planted_chain(planted_codes, aiida_localhost, nickel_afm_model_folder):
    """A factory: ``make_planted_chain(missing=None)`` -> a finished-looking orbmag.susceptibility graph."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    pseudo = pseudo_families()["full"].get_pseudo("Ni")

    def make(missing=None):
        return planted_chain(planted_codes, aiida_localhost, pseudo, nickel_afm_model_folder, missing)

    return make


#: the demo's choices on the fast protocol: the order and spin axis fixed, the projected subspace's Wannier functions,
#: no off-grid check, 6x6 k-points everywhere, and a small chi grid (finite chi is asserted here, not converged
#: numbers)
FAST_DEMO_OVERRIDES = """
magnetic:
  scf: {kpoints_distance: 0.5}
wannierization:
  scf: {kpoints_distance: 0.5}
  check_interpolation: false
  wannier90_parameters: {num_iter: 0, dis_num_iter: 0}
susceptibility_parameters:
  chemical_potential_range: [-0.5, 0.5, 41]
  temperatures: [0.0, 100.0]
  kmesh: [24, 24]
  degeneracy_tol: 1.0e-3
"""


@pytest.fixture
def fast_demo_overrides(tmp_path):
    """A YAML file of :data:`FAST_DEMO_OVERRIDES` for ``--overrides`` of the launch and screen commands."""
    path = tmp_path / "overrides.yaml"
    path.write_text(FAST_DEMO_OVERRIDES)
    return path
