"""Fixtures of the work-chain tests that run no executable: stand-in codes and small Ni pseudopotential families."""

import shutil

import pytest
from aiida import orm
from aiida_pseudo.data.pseudo.upf import UpfData
from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

from aiida_orbmag.workflows.demo import FULL_PSEUDO, PSEUDO_DIR, SCALAR_PSEUDO

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
def ni_families(aiida_profile, tmp_path):
    """label -> family: Debian's scalar (SR) and fully (FR) relativistic Ni, made once per profile."""
    if not PSEUDO_DIR.is_dir():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    result = {}
    for label, filename in NI_FAMILIES.items():
        existing = orm.QueryBuilder().append(CutoffsPseudoPotentialFamily, filters={"label": label}).first(flat=True)
        if existing is not None:
            result[label] = existing
            continue
        folder = tmp_path / label.replace("/", "_")
        folder.mkdir()
        shutil.copy(PSEUDO_DIR / filename, folder / "Ni.upf")
        family = CutoffsPseudoPotentialFamily.create_from_folder(folder, label, pseudo_type=UpfData)
        family.set_cutoffs({"Ni": {"cutoff_wfc": 30.0, "cutoff_rho": 240.0}}, stringency="normal", unit="Ry")
        result[label] = family
    return result
