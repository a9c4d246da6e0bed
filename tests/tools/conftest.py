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
