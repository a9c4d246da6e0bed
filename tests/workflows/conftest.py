"""Fixtures of the work-chain tests that run no executable: stand-in codes and small Ni pseudopotential families."""

import pytest
from aiida import orm

from aiida_orbmag.workflows.demo import FULL_PSEUDO, PSEUDO_DIR, SCALAR_PSEUDO, nickel_family

#: label -> Debian file of the test families (cutoffs 30 / 240 Ry)
NI_FAMILIES = {"test/Ni/SR": SCALAR_PSEUDO, "test/Ni/FR": FULL_PSEUDO}


@pytest.fixture
def fake_codes(aiida_profile, aiida_localhost):
    """pw, pw2wannier90 and wannier90 codes that point at /bin/true: for builders and planted-child tests."""

    def code(label, plugin):
        existing = orm.QueryBuilder().append(orm.InstalledCode, filters={"label": label}).first(flat=True)
        if existing is not None:
            return existing
        return orm.InstalledCode(
            label=label, computer=aiida_localhost, filepath_executable="/bin/true", default_calc_job_plugin=plugin
        ).store()

    return {
        "pw": code("fake-pw", "quantumespresso.pw"),
        "pw2wannier90": code("fake-pw2wannier90", "quantumespresso.pw2wannier90"),
        "wannier90": code("fake-wannier90", "orbmag.wannier90"),
    }


@pytest.fixture
def ni_families(aiida_profile):
    """label -> family: Debian's scalar (SR) and fully (FR) relativistic Ni, made once per profile."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    return {label: nickel_family(label, filename, cutoffs_ry=(30.0, 240.0)) for label, filename in NI_FAMILIES.items()}
