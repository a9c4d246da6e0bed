"""Property-based fuzzing: every reader, parser and the CLI, fed real files (and parameter dicts) mutated at random,
ends in one of two ways: a clear error (ValueError / an exit code / one ``Error:`` line), or a result that passes the
model's validation and is finite. Anything else (another exception, a traceback, NaN) fails the test.

The budget is small and the seed fixed in CI (``ORBMAG_FUZZ_EXAMPLES``, default 25 per target); raise it on purpose,
e.g. ``ORBMAG_FUZZ_EXAMPLES=500 pytest tests/fuzz -s``, which also prints the outcome counts per target.
"""

import collections
import gzip
import json
import os
import pathlib

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiida_orbmag.calcfunctions.parameters import ParameterError, parse_parameters
from aiida_orbmag.cli.main import cli
from aiida_orbmag.io import hdf5, ld1
from aiida_orbmag.io.wannier90 import read_centres_xyz, read_hr_dat, read_tb_dat, read_wsvec_dat
from aiida_orbmag.physics.mdrs import apply_mdrs
from aiida_orbmag.physics.model import TightBindingModel
from aiida_orbmag.physics.reference_models import cri3_like_bilayer
from tests.retrieved import plant_retrieved

ROOT = pathlib.Path(__file__).parents[2]
IO_DATA = ROOT / "tests" / "io" / "data"
EXAMPLES = int(os.environ.get("ORBMAG_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # a fixed sequence of examples: CI is reproducible
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
OUTCOMES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

_TOKENS = [b"nan", b"inf", b"-1", b"0", b"1e300", b"1e30", b"-1e30", b"1.7", b"x", b"", b"\n", b"\xff\xfe", b"99999"]


@st.composite
def mutated(draw, content: bytes):
    """``content`` with one to three random edits: cut, delete a span, replace a number-like token, insert junk
    bytes, duplicate or drop a line."""
    data = bytearray(content)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "delete", "token", "insert", "duplicate_line", "drop_line"]))
        size = len(data)
        if size == 0:
            break
        at = draw(st.integers(0, size - 1))
        if kind == "truncate":
            data = data[:at]
        elif kind == "delete":
            data[at : at + draw(st.integers(1, 64))] = b""
        elif kind == "token":
            start = at
            while start > 0 and data[start - 1 : start] not in (b" ", b"\n"):
                start -= 1
            end = at
            while end < size and data[end : end + 1] not in (b" ", b"\n"):
                end += 1
            data[start:end] = draw(st.sampled_from(_TOKENS))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate_line":
                lines.insert(index, lines[index])
            else:
                del lines[index]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _valid_model(model: TightBindingModel) -> bool:
    """A model that the readers return has passed its own validation; check its arrays are finite too."""
    arrays = [model.lattice, model.hamiltonian, model.centres] + ([model.position] if model.has_position else [])
    return all(np.all(np.isfinite(a)) for a in arrays)


def _record(target: str, outcome: str) -> None:
    OUTCOMES[target][outcome] += 1
    assert outcome in ("clean error", "finite result"), f"{target}: {outcome}"


def _reader_outcome(target: str, read) -> None:
    try:
        result = read()
    except (ValueError, FileNotFoundError) as error:
        _record(target, "clean error" if str(error).strip() else "error without a message")
        return
    except Exception as error:  # noqa: BLE001 - what the fuzz test exists to catch
        _record(target, f"other exception {type(error).__name__}: {error}")
        return
    ok = result is not None and (not isinstance(result, TightBindingModel) or _valid_model(result))
    _record(target, "finite result" if ok else "invalid result")


def _tb_text() -> bytes:
    return (ROOT / "examples" / "cri3_like_bilayer_tb.dat").read_bytes()


@FUZZ
@given(content=mutated(_tb_text()))
def test_tb_dat(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("tb") / "model_tb.dat"
    path.write_bytes(content)
    _reader_outcome("_tb.dat", lambda: read_tb_dat(path, wsvec=None))


@FUZZ
@given(content=mutated((IO_DATA / "lead_hr.dat").read_bytes()))
def test_hr_dat(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("hr") / "lead_hr.dat"
    path.write_bytes(content)
    lead = read_tb_dat(IO_DATA / "lead_tb.dat", wsvec=None)
    _reader_outcome("_hr.dat", lambda: read_hr_dat(path, lead.centres, lead.lattice, wsvec=None))


@FUZZ
@given(content=mutated(gzip.decompress((IO_DATA / "lead_mdrs" / "aiida_wsvec.dat.gz").read_bytes())))
def test_wsvec_dat(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("wsvec")
    (folder / "aiida_wsvec.dat").write_bytes(content)
    (folder / "aiida_tb.dat").write_bytes(gzip.decompress((IO_DATA / "lead_mdrs" / "aiida_tb.dat.gz").read_bytes()))
    plain = read_tb_dat(folder / "aiida_tb.dat", wsvec=None)
    _reader_outcome("_wsvec.dat", lambda: apply_mdrs(plain, read_wsvec_dat(folder / "aiida_wsvec.dat")))


@FUZZ
@given(content=mutated((IO_DATA / "lead_centres.xyz").read_bytes()))
def test_centres_xyz(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("xyz") / "lead_centres.xyz"
    path.write_bytes(content)

    def read():
        centres = read_centres_xyz(path)
        if not np.all(np.isfinite(centres)):
            raise ValueError("non-finite centres")  # what a caller must check: the reader returns numbers
        return centres

    _reader_outcome("_centres.xyz", read)


def _model_file() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "model.h5"
        hdf5.save_model(cri3_like_bilayer().replace(fermi_energy=0.1), path)
        return path.read_bytes()


@FUZZ
@given(content=mutated(_model_file()))
def test_hdf5_model(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("h5") / "model.h5"
    path.write_bytes(content)
    _reader_outcome("HDF5 model", lambda: hdf5.load_model(path))


@FUZZ
@given(
    name=st.sampled_from(["lattice", "r_vectors", "degeneracy", "hamiltonian", "centres", "position"]),
    value=st.sampled_from([np.nan, np.inf, 1e300, -1e30, 1.7, 0, -1, 2**62]),
    index=st.integers(0, 10**6),
)
def test_hdf5_values(tmp_path_factory, name, value, index):
    """Structured mutations of a valid file: one element of one dataset set to a hostile value."""
    path = tmp_path_factory.mktemp("h5v") / "model.h5"
    hdf5.save_model(cri3_like_bilayer(), path)
    with h5py.File(path, "r+") as handle:
        data = handle[name][()]
        flat = data.reshape(-1).astype(complex if np.iscomplexobj(data) else float)
        flat[index % flat.size] = value
        del handle[name]
        handle.create_dataset(name, data=flat.reshape(data.shape))
    _reader_outcome("HDF5 values", lambda: hdf5.load_model(path))


_LD1_OUTPUT = (
    b"     Program LD1 v.6.7MaX starts on\n dirac relativistic calculation\n ---- Testing the pseudopotential ----\n"
    b"     1 0 0.5 3S   1( 2.00)       -5.43413       -5.43423        0.00010\n"
    b"     Etot =   -2101.100514 Ry,   -1050.550257 Ha\n     Etotps =  -247.576294 Ry,    -123.788147 Ha\n"
    b" ---- End of pseudopotential test ----\n"
)


@FUZZ
@given(content=mutated(_LD1_OUTPUT))
def test_ld1_output(content):
    _reader_outcome("ld1 output", lambda: ld1.parse_ld1_output(content.decode("utf-8", errors="replace")))


def _upf_text() -> bytes:
    path = pathlib.Path("/usr/share/espresso/pseudo/I.pbe-n-kjpaw_psl.1.0.0.UPF")
    if not path.is_file():
        pytest.skip("Debian's quantum-espresso-data is not installed")
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_upf(data):
    content = data.draw(mutated(_upf_text()))
    text = content.decode("utf-8", errors="replace")

    def read():
        ld1.check_upf_complete(text)
        return ld1.upf_header(text), ld1.suggested_cutoffs(text)

    _reader_outcome("UPF", read)


_PARAMETER_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.one_of(st.integers(-5, 50), st.floats(-10, 10), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


@FUZZ
@given(
    key=st.sampled_from(
        ["chemical_potentials", "chemical_potential_range", "temperatures", "kmesh", "degeneracy_tol",
         "relaxation_time_fs", "symmetry_operations", "metric_form", "max_kpoints", "kmesh_error", "unknown_key"]
    ),
    value=_PARAMETER_VALUES,
)  # fmt: skip
def test_parameter_dicts(key, value):
    raw = {"chemical_potentials": [0.0], "temperatures": [0.0, 300.0], "kmesh": [8, 8]}
    if key == "chemical_potential_range":
        raw.pop("chemical_potentials")
    raw[key] = value
    try:
        parsed = parse_parameters(raw)
    except ParameterError as error:
        _record("parameters", "clean error" if str(error) and error.kind.startswith("ERROR_") else "bad error")
        return
    except Exception as error:  # noqa: BLE001
        _record("parameters", f"other exception {type(error).__name__}: {error}")
        return
    finite = np.all(np.isfinite(parsed.mu)) and np.all(np.isfinite(parsed.temperature))
    sane = finite and parsed.kmesh[0] * parsed.kmesh[1] <= parsed.max_kpoints and len(parsed.mu) <= 100_000
    _record("parameters", "finite result" if sane else "accepted something insane")


@FUZZ
@given(content=mutated(_tb_text()))
def test_cli_compute(tmp_path_factory, content):
    """As a user would run it: exit 0 with finite JSON, or a non-zero exit with one Error line and no traceback."""
    folder = tmp_path_factory.mktemp("cli")
    path, out = folder / "model_tb.dat", folder / "chi.json"
    path.write_bytes(content)
    result = CliRunner().invoke(
        cli, ["compute", str(path), "--mu", "0", "--temperature", "0", "--kmesh", "4", "4", "--json", str(out)]
    )
    if result.exit_code == 0:
        document = json.loads(out.read_text())  # bare NaN would fail json's strict parse below
        values = np.array(document["chi_nm_per_ohm"], dtype=float)
        _record("CLI compute", "finite result" if np.all(np.isfinite(values)) else "NaN with exit 0")
    else:
        lines = [line for line in result.output.strip().splitlines() if line]
        clean = isinstance(result.exception, SystemExit) and lines and lines[-1].startswith("Error: ")
        _record("CLI compute", "clean error" if clean else f"unclean exit: {result.output[-300:]!r}")


PARSER_DATA = ROOT / "tests" / "parsers" / "data" / "lead_mdrs"
LEAD_CELL = (np.array([[-4.67775, 0, 4.67775], [0, 4.67775, 4.67775], [-4.67775, 4.67775, 0]]) * 0.52917721092).tolist()


def _case_files() -> dict[str, bytes]:
    files = {}
    for path in sorted(PARSER_DATA.iterdir()):
        if path.name != "aiida.win":
            content = path.read_bytes()
            files[path.name.removesuffix(".gz")] = gzip.decompress(content) if path.suffix == ".gz" else content
    return files


@pytest.fixture
def parse_retrieved(aiida_profile, aiida_localhost):
    """Run the wannier90 parser on a dict of retrieved files, as if Wannier90Calculation had retrieved them."""
    from aiida import orm
    from aiida.common.links import LinkType
    from aiida.plugins import ParserFactory

    parser = ParserFactory("orbmag.wannier90")

    def run(files: dict[str, bytes]):
        node = orm.CalcJobNode(computer=aiida_localhost, process_type="aiida.calculations:orbmag.wannier90")
        node.set_option("resources", {"num_machines": 1, "num_mpiprocs_per_machine": 1})
        structure = orm.StructureData(cell=LEAD_CELL)
        structure.append_atom(position=(0, 0, 0), symbols="Pb")
        parameters = orm.Dict({"num_wann": 4, "num_iter": 20})
        for label, data in (("parameters", parameters), ("structure", structure)):
            node.base.links.add_incoming(data.store(), LinkType.INPUT_CALC, label)
        node.store()
        plant_retrieved(node, files)
        return parser.parse_from_node(node, store_provenance=False)

    return run


@FUZZ
@given(
    name=st.sampled_from(["aiida.wout", "aiida_band.dat", "aiida_band.kpt", "aiida_band.labelinfo.dat",
                          "aiida_tb.dat", "aiida_wsvec.dat"]),
    data=st.data(),
)  # fmt: skip
def test_wannier90_parser(parse_retrieved, name, data):
    """A real run's retrieved files with one of them mutated: an exit code, or a finished parse whose model passes
    validation and whose bands are finite; never an excepted process."""
    files = _case_files()
    files[name] = data.draw(mutated(files[name]))
    results, process = parse_retrieved(files)
    if process.is_excepted:
        _record("wannier90 parser", f"excepted: {process.exception}")
    elif process.exit_status:
        _record("wannier90 parser", "clean error" if process.exit_message else "exit code without message")
    else:
        model_ok = "tight_binding" not in results or _valid_model(results["tight_binding"].get_model())
        bands_ok = "interpolated_bands" not in results or np.all(np.isfinite(results["interpolated_bands"].get_bands()))
        _record("wannier90 parser", "finite result" if model_ok and bands_ok else "invalid result with exit 0")


def test_zz_outcome_counts():
    """Runs last in this module: prints the outcome counts per target (``pytest -s``) and checks every target ran."""
    for target, counts in sorted(OUTCOMES.items()):
        print(
            f"fuzz {target:<14} {sum(counts.values()):5d} inputs: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    assert all(set(counts) <= {"clean error", "finite result"} for counts in OUTCOMES.values())
