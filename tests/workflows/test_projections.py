"""Projections and band counts chosen from Debian's real pseudopotential files."""

import pathlib

import numpy as np
import pytest
from aiida import orm
from aiida_pseudo.data.pseudo.upf import UpfData

from aiida_orbmag.io.upf import orbitals, valence_orbitals
from aiida_orbmag.workflows.projections import choose_projections

PSEUDO_DIR = pathlib.Path("/usr/share/espresso/pseudo")
CR, I_, NI = "Cr.pbe-spn-kjpaw_psl.1.0.0.UPF", "I.pbe-n-kjpaw_psl.1.0.0.UPF", "Ni.rel-pbe-nd-rrkjus.UPF"
FE_REL = "Fe.rel-pbe-spn-rrkjus_psl.0.2.1.UPF"

pytestmark = pytest.mark.skipif(not PSEUDO_DIR.is_dir(), reason="Debian's quantum-espresso-data is not installed")


def _text(name):
    return (PSEUDO_DIR / name).read_text()


def test_orbitals_of_v2_and_v1_files():
    cr = {o.label: o for o in orbitals(_text(CR))}
    assert set(cr) == {"3S", "4S", "3P", "3D"} and cr["3D"].occupation == 4.0
    assert cr["3S"].energy == pytest.approx(-5.730209897763)
    ni = {o.label: o for o in orbitals(_text(NI))}  # UPF v1, fully relativistic: 3D j=3/2 and 5/2 merged
    assert ni["3D"].occupation == pytest.approx(9.0) and ni["4S"].occupation == pytest.approx(1.0)
    fe = {o.label: o for o in orbitals(_text(FE_REL))}  # UPF v2, fully relativistic
    assert fe["3P"].occupation == pytest.approx(6.0) and fe["3P"].energy == pytest.approx(-4.4286, abs=1e-3)


def test_valence_orbitals_drop_semicore():
    assert [o.label for o in valence_orbitals(_text(CR))] == ["4S", "3D"]
    assert [o.label for o in valence_orbitals(_text(I_))] == ["5S", "5P"]
    assert [o.label for o in valence_orbitals(_text(FE_REL))] == ["4S", "3D"]  # 4P is empty
    assert sorted(o.label for o in valence_orbitals(_text(NI))) == ["3D", "4S"]


@pytest.fixture
def cri3_pair(aiida_profile):
    """A Cr + 3 I toy cell (the counts only depend on the sites) with Debian's pslibrary PAW files."""
    structure = orm.StructureData(cell=np.diag([7.0, 7.0, 20.0]))
    structure.append_atom(position=(0, 0, 10), symbols="Cr")
    for x in (2.0, 4.0, 6.0):
        structure.append_atom(position=(x, 1.0, 11.5), symbols="I")
    pseudos = {"Cr": UpfData(PSEUDO_DIR / CR), "I": UpfData(PSEUDO_DIR / I_)}
    return structure, pseudos


def test_cri3_counts_with_override(cri3_pair):
    structure, pseudos = cri3_pair
    choice = choose_projections(structure, pseudos, orbitals_per_element={"Cr": "d", "I": "p"})
    assert choice.lines == ["Cr:d", "I:p"]
    assert choice.num_wann == 10 + 3 * 6  # spinor d on Cr, spinor p on each I
    # Cr 3s3p (semicore) and I 5s (below the I 5p / Cr 3d manifold): 8 + 3 * 2 spinor bands
    assert choice.num_excluded == 8 + 3 * 2
    assert choice.num_electrons == 14 + 3 * 7


def test_automatic_projections_keep_valence_s(cri3_pair):
    structure, pseudos = cri3_pair
    choice = choose_projections(structure, pseudos)
    assert choice.lines == ["Cr:s;d", "I:s;p"]
    assert choice.num_wann == 12 + 3 * 8 and choice.num_excluded == 8  # only Cr 3s3p


def test_explicit_lines_and_bad_ones(cri3_pair):
    structure, pseudos = cri3_pair
    choice = choose_projections(structure, pseudos, explicit=["Cr:d", "I:p"])
    assert choice.num_wann == 28 and choice.num_excluded == 14
    with pytest.raises(ValueError, match="SITE:ORBITALS"):
        choose_projections(structure, pseudos, explicit=["Cr:sp3d2"])
    with pytest.raises(ValueError, match="neither a kind nor an element"):
        choose_projections(structure, pseudos, explicit=["Xe:s"])
    with pytest.raises(ValueError, match="leave out the kinds"):
        choose_projections(structure, pseudos, explicit=["Cr:d"])
    with pytest.raises(ValueError, match="orbital letters"):
        choose_projections(structure, pseudos, orbitals_per_element={"Cr": "x"})
