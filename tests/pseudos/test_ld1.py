"""Pseudopotentials regenerated offline with ld1.x: the recorded generation input, the regeneration, ld1.x's own
transferability tests, agreement with the shipped scalar-relativistic file, the aiida-pseudo families, and pw.x
accepting the fully relativistic files with spin-orbit coupling."""

import pathlib
import re

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.plugins import CalculationFactory
from click.testing import CliRunner

from aiida_orbmag.io import ld1

PSEUDO_DIR = pathlib.Path("/usr/share/espresso/pseudo")
CR_FILE = PSEUDO_DIR / "Cr.pbe-spn-kjpaw_psl.1.0.0.UPF"
I_FILE = PSEUDO_DIR / "I.pbe-n-kjpaw_psl.1.0.0.UPF"
PREFIX = "orbmag-test/pslibrary-1.0.0"
FR_LABEL, SR_LABEL = f"{PREFIX}/PBE/FR", f"{PREFIX}/PBE/SR"
Ld1Calculation = CalculationFactory("orbmag.ld1")


@pytest.fixture
def upf_text(executable):
    """A reader of a Debian UPF file's text; a missing file fails (or skips) with the install hint."""

    def read(path: pathlib.Path) -> str:
        if not path.is_file():
            executable("ld1.x")  # fails (or skips) with the install hint when Debian's QE is missing
            pytest.fail(f"{path} is missing: apt-get install quantum-espresso-data")
        return path.read_text()

    return read


def _floats(text: str) -> list[float]:
    return [float(token) for token in re.findall(r"[-+]?\d+\.\d*(?:[eE][-+]?\d+)?", text)]


def _arrays(upf_text: str) -> dict[str, np.ndarray]:
    """The radial arrays PP_LOCAL, PP_NLCC, PP_BETA.i and PP_Q of a UPF v2 text."""
    blocks = re.finditer(r"<(PP_LOCAL|PP_NLCC|PP_BETA\.\d+|PP_Q)\b[^>]*>(.*?)</\1>", upf_text, flags=re.DOTALL)
    return {match.group(1): np.array(match.group(2).split(), dtype=float) for match in blocks}


# ------------------------------------------------------------------------------------------- pure
def test_generation_input_of_the_debian_cr_file(upf_text):
    text = ld1.generation_input(upf_text(CR_FILE))
    assert text.lstrip().startswith("&input") and "&amp;" not in text and "&inputp" in text
    assert "config='[Ar] 4s2 4p0 3d4'" in text and "zed=24." in text and "rel=1" in text
    assert "3D  3  2  4.00  0.00  1.10  1.65  0.0" in text and "4P  3  1  0.00  7.00  1.00  1.35  0.0" in text
    assert ld1.reference_configuration(text) == {"3S": 2.0, "4S": 2.0, "3P": 6.0, "3D": 4.0}
    assert ld1.standard_test_configurations(text) == ["3s2 4s1 3p6 3d4", "3s2 4s1 3p6 3d5"]
    iodine = ld1.generation_input(upf_text(I_FILE))
    assert ld1.standard_test_configurations(iodine) == ["5s2 5p4", "5s1 5p6"]


def test_generation_input_repairs_at_heads_and_a_lost_first_line(upf_text):
    # psl 0.2.1 files lost the " &input" line; ld1.x >= 6.4 writes "@input"
    old = ld1.generation_input(upf_text(PSEUDO_DIR / "Fe.rel-pbe-spn-rrkjus_psl.0.2.1.UPF"))
    assert old.startswith(" &input\ntitle='Fe'")
    at = "<PP_INFO><PP_INPUTFILE>\n@input\nzed=53.,\n/\n@inputp\npseudotype=3,\n/\n1\n5S 1 0 2.00 0.00 1.5 1.8 0.0\n"
    assert ld1.generation_input(at + "</PP_INPUTFILE></PP_INFO>").splitlines()[0] == "&input"


def test_ld1_input_sets_the_relativistic_treatment_and_output(upf_text):
    generation = ld1.generation_input(upf_text(CR_FILE))
    full = ld1.ld1_input(generation, "full", "Cr.rel-test.UPF", prefix="aiida")
    assert "rel=2," in full and "rel=1" not in full and "iswitch=3," in full
    assert "file_pseudopw='Cr.rel-test.UPF'," in full and "prefix='aiida'," in full and "&test" not in full
    assert "3S  1  0  2.00  0.00  0.75  1.53  0.0" in full
    assert "rel=1," in ld1.ld1_input(generation, "scalar", "Cr.UPF")
    tested = ld1.ld1_input(generation, "full", "t.UPF", test_configuration="3s2 4s1 3p6 3d5")
    assert tested.rstrip().endswith("&test\n   nconf=1,\n   configts(1)='3s2 4s1 3p6 3d5',\n /")
    with pytest.raises(ValueError, match="relativistic must be one of"):
        ld1.ld1_input(generation, "dirac", "Cr.UPF")
    with pytest.raises(ValueError, match="bare file name ending in .UPF"):
        ld1.ld1_input(generation, "full", "/tmp/Cr.UPF")
    j_resolved = generation.replace("1.10  1.65  0.0", "1.10  1.65  2.5")
    with pytest.raises(ValueError, match="j-averaged cards"):
        ld1.ld1_input(j_resolved, "scalar", "Cr.UPF")
    assert ld1.regenerated_filename(CR_FILE.name, "full") == "Cr.rel-pbe-spn-kjpaw_psl.1.0.0.UPF"
    assert ld1.regenerated_filename("Cr.rel-pbe-spn-kjpaw_psl.1.0.0.UPF", "scalar") == CR_FILE.name


def test_ld1_input_can_ask_for_the_ultrasoft_twin(upf_text):
    generation = ld1.generation_input(upf_text(CR_FILE))
    assert "lpaw=.true.," in generation.replace(" ", "")  # pslibrary's kjpaw recipe
    ultrasoft = ld1.ld1_input(generation, "full", "Cr.UPF", augmentation="ultrasoft")
    assert "lpaw=.false.," in ultrasoft and "lpaw=.true." not in ultrasoft
    assert "lpaw=.true.," in ld1.ld1_input(generation, "full", "Cr.UPF", augmentation="paw")
    assert ld1.ld1_input(generation, "full", "Cr.UPF") == ld1.ld1_input(generation, "full", "Cr.UPF", augmentation=None)
    with pytest.raises(ValueError, match="augmentation must be one of"):
        ld1.ld1_input(generation, "full", "Cr.UPF", augmentation="norm-conserving")
    name = ld1.regenerated_filename(CR_FILE.name, "full", "ultrasoft")
    assert name == "Cr.rel-pbe-spn-rrkjus_psl.1.0.0.UPF"
    assert ld1.regenerated_filename("Cr.upf", "scalar", "ultrasoft") == "regenerated_scalar_ultrasoft.UPF"


def test_rewrap_keeps_every_number_and_bounds_the_lines(upf_text):
    original = upf_text(CR_FILE)
    # the shape QE 6.7's ld1.x writes: a whole block on one line of thousands of characters
    joined = re.sub(
        r"(<PP_LOCAL[^>]*>)(.*?)(</PP_LOCAL>)",
        lambda m: m.group(1) + "\n" + " ".join(m.group(2).split()) + "\n" + m.group(3),
        original,
        flags=re.DOTALL,
    )
    assert max(len(line) for line in joined.splitlines()) > 20000
    rewrapped = ld1.rewrap_upf(joined, max_line=100, per_line=4)
    assert _floats(rewrapped) == _floats(original)
    numeric = [line for line in rewrapped.splitlines() if re.fullmatch(r"[\s0-9eE.+-]+", line) and line.strip()]
    assert max(len(line) for line in numeric) <= 100
    assert ld1.rewrap_upf(original) == original  # nothing long to wrap in the shipped file
    assert ld1.upf_header(rewrapped) == ld1.upf_header(original)


def test_suggested_cutoffs_of_the_cr_file_are_those_of_its_header(upf_text):
    text = upf_text(CR_FILE)
    assert "Suggested minimum cutoff for wavefunctions:  48. Ry" in text
    assert "Suggested minimum cutoff for charge density: 457. Ry" in text
    assert ld1.suggested_cutoffs(text) == (48.0, 457.0)
    header = ld1.upf_header(text)
    assert float(header["wfc_cutoff"]) == pytest.approx(48.0, abs=0.5)  # the header rounds ld1.x's estimate
    assert float(header["rho_cutoff"]) == pytest.approx(457.0, abs=0.5)


def test_value_errors_on_a_upf_without_generation_input():
    upf = '<UPF version="2.0.1">\n<PP_INFO>\nhand-made\n</PP_INFO>\n<PP_HEADER element="Cr" z_valence="14"/>\n</UPF>\n'
    with pytest.raises(ValueError, match="records no ld1.x generation input"):
        ld1.generation_input(upf)
    with pytest.raises(ValueError, match="Suggested minimum cutoff for wavefunctions"):
        ld1.suggested_cutoffs(upf)
    with pytest.raises(ValueError, match="&input then &inputp"):
        ld1.generation_input("<PP_INPUTFILE>\n&input\nzed=1.\n/\n</PP_INPUTFILE>")
    with pytest.raises(ValueError, match="ld1.x output is empty"):
        ld1.parse_ld1_output("")


def test_parse_ld1_output_reads_errors_and_test_energies():
    failed = (
        "     Program LD1 v.6.7MaX starts on\n"
        "     Error in routine ld1_readin (1):\n     too many test configurations\n"
    )
    parsed = ld1.parse_ld1_output(failed)
    assert parsed["error"] == "ld1_readin: too many test configurations" and parsed["completed"] is False
    assert parsed["version"] == "LD1 v.6.7MaX"
    test = (
        " dirac relativistic calculation\n ---- Testing the pseudopotential ----\n"
        "     1 0 0.5 3S   1( 2.00)       -5.43413       -5.43423        0.00010\n"
        "     Etot =   -2101.100514 Ry,   -1050.550257 Ha\n     Etotps =  -247.576294 Ry,    -123.788147 Ha\n"
        " ---- End of pseudopotential test ----\n"
    )
    parsed = ld1.parse_ld1_output(test)
    assert parsed["completed"] and parsed["relativistic"] == "full"
    assert (parsed["etot_ae_Ry"], parsed["etot_ps_Ry"]) == (-2101.100514, -247.576294)
    assert parsed["eigenvalue_max_deviation_Ry"] == pytest.approx(1e-4)


def test_find_source_prefers_pslibrary_1_0_0_paw(upf_text):
    from aiida_orbmag.pseudos import find_source

    upf_text(CR_FILE)
    assert find_source("Cr", PSEUDO_DIR, "PBE") == CR_FILE
    assert find_source("Fe", PSEUDO_DIR, "PBE").name == "Fe.pbe-spn-rrkjus_psl.0.2.1.UPF"  # not the rel- file
    with pytest.raises(ValueError, match=r"No pslibrary PBE file for Pt .*Pt.rel-pbe-n-rrkjus.UPF"):
        find_source("Pt", PSEUDO_DIR, "PBE")


def test_exit_codes_are_unique_and_in_the_documented_ranges():
    codes = [code for code in Ld1Calculation.exit_codes.values() if code.status >= 300]
    assert len({code.status for code in codes}) == len(codes)
    assert {code.status for code in codes} == {301, 302, 303, 304, 305, 306, 400}


# ------------------------------------------------------------------------------------------- ld1.x runs
@pytest.fixture
def ld1_code(aiida_profile, aiida_code_installed, executable):
    return aiida_code_installed(
        label="ld1", filepath_executable=executable("ld1.x"), default_calc_job_plugin="orbmag.ld1"
    )


@pytest.fixture
def pw_code(aiida_profile, aiida_code_installed, executable):
    return aiida_code_installed(
        label="pw",
        filepath_executable=executable("pw.x"),
        default_calc_job_plugin="quantumespresso.pw",
        prepend_text="export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1",
    )


def _regenerate(code, path, relativistic, **inputs):
    builder = Ld1Calculation.get_builder()
    builder.code = code
    builder.source = orm.SinglefileData(path)
    builder.relativistic = orm.Str(relativistic)
    for key, value in inputs.items():
        builder[key] = value
    return run_get_node(builder)


def test_fully_relativistic_cr_passes_ld1_tests(ld1_code):
    results, node = _regenerate(ld1_code, CR_FILE, "full")
    assert node.is_finished_ok, node.exit_message
    text = results["pseudo"].get_content()
    header = ld1.upf_header(text)
    assert (header["relativistic"], header["has_so"], header["element"]) == ("full", "true", "Cr")
    assert float(header["z_valence"]) == 14.0  # the generation configuration's, not a test configuration's
    assert int(header["number_of_proj"]) == 10  # s, p, d projectors: p and d split into j = l -+ 1/2
    assert results["pseudo"].filename == "Cr.rel-pbe-spn-kjpaw_psl.1.0.0.UPF" and results["pseudo"].element == "Cr"
    assert max(len(line) for line in text.splitlines()) < 600  # rewrapped: ld1.x wrote 13000-character lines
    parameters = results["output_parameters"].get_dict()
    assert [row["configuration"] for row in parameters["test_configurations"]] == ["3s2 4s1 3p6 3d4", "3s2 4s1 3p6 3d5"]
    assert parameters["max_deviation_Ry"] < ld1.TEST_TOLERANCE_RY
    cation = parameters["test_configurations"][0]
    assert cation["delta_etot_ae_Ry"] == pytest.approx(0.594, abs=0.01)  # Cr -> Cr+ (4s), ~8 eV in PBE
    assert parameters["ld1_version"].startswith("LD1 v.6.7")
    assert (parameters["suggested_cutoff_wfc_Ry"], parameters["suggested_cutoff_rho_Ry"]) == (48.0, 457.0)
    # provenance: the pseudopotential was made by this calculation from the Debian file with ld1.x
    assert results["pseudo"].creator.pk == node.pk
    assert node.inputs.code.filepath_executable.name == "ld1.x"


def test_ultrasoft_twin_is_generated_untested_and_checked_for_its_kind(ld1_code):
    """The recipe as ultrasoft: a valid fully relativistic USPP, no ld1.x test runs (they do not reach
    self-consistency for these generations in ld1.x 6.7), and asking for tests is refused before anything runs."""
    results, node = _regenerate(ld1_code, CR_FILE, "full", augmentation=orm.Str("ultrasoft"))
    assert node.is_finished_ok, node.exit_message
    header = ld1.upf_header(results["pseudo"].get_content())
    assert (header["pseudo_type"], header["is_paw"], header["has_so"]) == ("USPP", "false", "true")
    assert results["pseudo"].filename == "Cr.rel-pbe-spn-rrkjus_psl.1.0.0.UPF"
    parameters = results["output_parameters"].get_dict()
    assert parameters["augmentation"] == "ultrasoft" and parameters["test_configurations"] == []
    assert parameters["max_deviation_Ry"] is None
    assert parameters["eigenvalue_max_deviation_Ry"] < 1e-4  # the generation configuration is still compared
    assert not [name for name in node.base.repository.list_object_names() if name.startswith("aiida_test")]
    with pytest.raises(ValueError, match="not tested by ld1.x"):
        _regenerate(ld1_code, CR_FILE, "full", augmentation=orm.Str("ultrasoft"), test_tolerance=orm.Float(1.0))


def test_scalar_relativistic_regeneration_matches_the_shipped_file(ld1_code, upf_text):
    results, node = _regenerate(ld1_code, CR_FILE, "scalar")
    assert node.is_finished_ok, node.exit_message
    assert results["output_parameters"]["max_deviation_Ry"] < ld1.TEST_TOLERANCE_RY
    shipped, regenerated = _arrays(upf_text(CR_FILE)), _arrays(results["pseudo"].get_content())
    assert set(shipped) == set(regenerated) and {"PP_LOCAL", "PP_BETA.1", "PP_BETA.6"} <= set(shipped)
    for name, array in shipped.items():
        scale = np.max(np.abs(array))
        np.testing.assert_allclose(regenerated[name], array, rtol=0, atol=1e-5 * scale, err_msg=name)


@pytest.mark.slow
def test_failed_transferability_and_ld1_errors_give_exit_codes(ld1_code):
    strict = orm.Float(1e-9)  # below ld1.x's own precision: the test must fail
    results, node = _regenerate(ld1_code, I_FILE, "scalar", test_tolerance=strict)
    assert node.exit_status == Ld1Calculation.exit_codes.ERROR_TRANSFERABILITY_TEST_FAILED.status
    assert "pseudo" not in results and results["output_parameters"]["max_deviation_Ry"] > 1e-9
    bad = orm.List(["5s2 5p4 9x1"])
    _, node = _regenerate(ld1_code, I_FILE, "scalar", test_configurations=bad)
    assert node.exit_status == Ld1Calculation.exit_codes.ERROR_TEST_RUN_FAILED.status
    assert "5s2 5p4 9x1" in node.exit_message


# ------------------------------------------------------------------------------------------- families
@pytest.fixture
def families(aiida_profile, executable):
    """The FR and SR families of Cr and I, regenerated once per profile (later calls reuse the calculations)."""
    executable("ld1.x")
    from aiida_orbmag.pseudos import install_families

    return install_families(["Cr", "I"], PSEUDO_DIR, "PBE", label_prefix=PREFIX)


@pytest.mark.slow
def test_install_families_is_idempotent_and_keeps_provenance(families):
    from aiida_orbmag.pseudos import install_families

    assert set(families) == {FR_LABEL, SR_LABEL}
    fr, sr = families[FR_LABEL], families[SR_LABEL]
    assert fr.get_cutoffs("normal") == {
        "Cr": {"cutoff_wfc": 48.0, "cutoff_rho": 457.0},
        "I": {"cutoff_wfc": 37.0, "cutoff_rho": 154.0},
    }
    assert fr.get_cutoffs_unit("normal") == "Ry" and sr.get_cutoffs("normal")["I"]["cutoff_wfc"] == 36.0
    for family, relativistic in ((fr, "full"), (sr, "scalar")):
        for element, path in (("Cr", CR_FILE), ("I", I_FILE)):
            pseudo = family.get_pseudo(element)
            assert ld1.upf_header(pseudo.get_content())["relativistic"] == relativistic
            creator = pseudo.creator
            assert creator.process_type == "aiida.calculations:orbmag.ld1" and creator.is_finished_ok
            assert creator.inputs.source.get_content() == path.read_text()
            assert creator.outputs.output_parameters["max_deviation_Ry"] < ld1.TEST_TOLERANCE_RY

    calculations = orm.QueryBuilder().append(orm.CalcJobNode, filters={"process_type": creator.process_type}).count()
    again = install_families(["Cr", "I"], PSEUDO_DIR, "PBE", label_prefix=PREFIX)
    assert {label: family.pk for label, family in again.items()} == {label: f.pk for label, f in families.items()}
    assert {p.pk for p in again[FR_LABEL].nodes} == {p.pk for p in fr.nodes}
    assert orm.QueryBuilder().append(orm.CalcJobNode, filters={"process_type": creator.process_type}).count() == (
        calculations
    )


@pytest.mark.slow
def test_a_family_with_different_pseudos_is_refused(families):
    from aiida_orbmag.pseudos import install_family

    scalar_cr = families[SR_LABEL].get_pseudo("Cr")
    with pytest.raises(ValueError, match=r"exists with different pseudopotentials for \['Cr'\]"):
        install_family(FR_LABEL, {"Cr": scalar_cr})


@pytest.mark.slow
def test_cli_install_prints_labels_and_cutoffs(families):
    from aiida_orbmag.cli.main import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["pseudos", "install", "--label-prefix", PREFIX, "--source-dir", str(PSEUDO_DIR)])
    assert result.exit_code == 0, result.output
    assert FR_LABEL in result.output and SR_LABEL in result.output
    assert re.search(
        r"Cr\s+ecutwfc\s+48\.0 Ry\s+ecutrho\s+457\.0 Ry\s+Cr\.rel-pbe-spn-kjpaw_psl\.1\.0\.0\.UPF", result.output
    )
    ultrasoft = runner.invoke(cli, ["pseudos", "install", "-e", "I", "--ultrasoft", "--label-prefix", PREFIX])
    assert ultrasoft.exit_code == 0, ultrasoft.output
    assert f"{FR_LABEL}-US" in ultrasoft.output and "I.rel-pbe-n-rrkjus_psl.1.0.0.UPF" in ultrasoft.output
    assert orm.load_group(f"{SR_LABEL}-US").get_pseudo("I").filename == "I.pbe-n-rrkjus_psl.1.0.0.UPF"
    failed = runner.invoke(cli, ["pseudos", "install", "-e", "Xe", "--label-prefix", PREFIX])
    assert failed.exit_code == 1 and "No pslibrary PBE file for Xe" in failed.output
    assert len(failed.output.strip().splitlines()) == 1


def _cr_i_pair() -> orm.StructureData:
    """A Cr-I pair 2.75 Å apart (the Cr-I bond of CrI3) in a 5.3 Å cubic box: cheap, and it holds both species."""
    structure = orm.StructureData(cell=np.eye(3) * 5.3)
    structure.append_atom(position=(0.0, 0.0, 0.0), symbols="Cr")
    structure.append_atom(position=(0.0, 0.0, 2.75), symbols="I")
    return structure


@pytest.mark.slow
def test_pw_reads_the_fully_relativistic_pseudos_with_spin_orbit(families, pw_code):
    structure = _cr_i_pair()
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([1, 1, 1])
    builder = CalculationFactory("quantumespresso.pw").get_builder()
    builder.code = pw_code
    builder.structure = structure
    builder.kpoints = kpoints
    builder.pseudos = families[FR_LABEL].get_pseudos(structure=structure)
    builder.parameters = orm.Dict(
        {
            "CONTROL": {"calculation": "scf"},
            "SYSTEM": {
                "ecutwfc": 20.0,  # below the suggested cutoffs: this run only shows that pw.x reads the files
                "ecutrho": 80.0,
                "noncolin": True,
                "lspinorb": True,
                "occupations": "smearing",
                "smearing": "gaussian",
                "degauss": 0.02,
                "starting_magnetization": {"Cr": 0.5},
            },
            "ELECTRONS": {"electron_maxstep": 1, "conv_thr": 1e-6, "scf_must_converge": False},
        }
    )
    builder.metadata.options = {"resources": {"num_machines": 1}, "max_wallclock_seconds": 300, "withmpi": False}
    results, node = run_get_node(builder)
    output = node.outputs.retrieved.base.repository.get_object_content("aiida.out")
    assert node.exit_status in (0, node.process_class.exit_codes.WARNING_ELECTRONIC_CONVERGENCE_NOT_REACHED.status)
    assert "Noncollinear calculation with spin-orbit" in output and "Error" not in output
    assert "PseudoPot. # 1 for Cr read from file" in output and "PseudoPot. # 2 for I  read from file" in output
    assert "iteration #  1" in output and "JOB DONE" in output
    assert results["output_parameters"]["number_of_electrons"] == 21.0  # Cr 3s2 3p6 3d4 4s2 + I 5s2 5p5


@pytest.mark.slow
def test_protocol_builder_takes_the_fr_family_and_its_cutoffs(families, pw_code):
    from aiida_quantumespresso.common.types import SpinType
    from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

    structure = _cr_i_pair()
    builder = PwBaseWorkChain.get_builder_from_protocol(
        pw_code,
        structure,
        protocol="fast",
        overrides={"pseudo_family": FR_LABEL},
        spin_type=SpinType.SPIN_ORBIT,
        initial_magnetic_moments={"Cr": 3.0, "I": 0.0},
    )
    system = builder.pw.parameters["SYSTEM"]
    assert (system["noncolin"], system["lspinorb"], system["nspin"]) == (True, True, 4)
    assert (system["ecutwfc"], system["ecutrho"]) == (48.0, 457.0)  # the larger (Cr) of the family's cutoffs
    fr = families[FR_LABEL]
    assert {kind: pseudo.uuid for kind, pseudo in builder.pw.pseudos.items()} == {
        "Cr": fr.get_pseudo("Cr").uuid,
        "I": fr.get_pseudo("I").uuid,
    }


@pytest.mark.slow
def test_projections_from_the_regenerated_files_match_between_fr_and_sr(families):
    """The FR files list each orbital once per j; the Wannier counts must not notice."""
    from aiida_orbmag.workflows.projections import choose_projections

    structure = _cr_i_pair()
    counts = {}
    for label, family in families.items():
        choice = choose_projections(
            structure, family.get_pseudos(structure=structure), orbitals_per_element={"Cr": "d", "I": "p"}
        )
        counts[label] = (choice.lines, choice.num_wann, choice.num_excluded, choice.num_electrons)
    assert counts[FR_LABEL] == counts[SR_LABEL] == (["Cr:d", "I:p"], 16, 10, 21)


def test_output_without_the_all_electron_energy_is_not_complete():
    """Etotps present but Etot missing used to pass as complete and then fail with a KeyError in the parser."""
    text = (
        " dirac relativistic calculation\n ---- Testing the pseudopotential ----\n"
        "     Etotps =  -247.576294 Ry,    -123.788147 Ha\n ---- End of pseudopotential test ----\n"
    )
    assert ld1.parse_ld1_output(text)["completed"] is False


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.999])
def test_truncated_upf_is_refused(fraction, upf_text):
    """A UPF cut anywhere (no closing tag) used to become the parser's ``pseudo`` output and enter a family."""
    text = upf_text(CR_FILE)
    ld1.check_upf_complete(text)  # the whole file passes
    with pytest.raises(ValueError, match="truncated"):
        ld1.check_upf_complete(text[: int(len(text) * fraction)])
