"""Planted finished chains (no DFT) for the results, provenance and plot-from-node tests."""

import pytest
from aiida import orm

from aiida_orbmag.demo import PSEUDO_DIR, pseudo_families
from tests.tools.planted import planted_chain


@pytest.fixture
def planted_codes(aiida_profile, aiida_localhost):
    def code(label, plugin):
        found = orm.QueryBuilder().append(orm.InstalledCode, filters={"label": label}).first(flat=True)
        return (
            found
            or orm.InstalledCode(
                label=label, computer=aiida_localhost, filepath_executable="/bin/true", default_calc_job_plugin=plugin
            ).store()
        )

    return {
        "pw": code("pw", "quantumespresso.pw"),
        "pw2wannier90": code("pw2wannier90", "quantumespresso.pw2wannier90"),
        "wannier90": code("wannier90", "orbmag.wannier90"),
    }


@pytest.fixture
def make_planted_chain(planted_codes, aiida_localhost, nickel_afm_model_folder):
    """A factory: ``make_planted_chain(missing=None)`` -> a finished-looking orbmag.susceptibility graph."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    pseudo = pseudo_families()["full"].get_pseudo("Ni")

    def make(missing=None):
        return planted_chain(planted_codes, aiida_localhost, pseudo, nickel_afm_model_folder, missing)

    return make
