"""Shared fixtures: AiiDA's own test profile fixtures and the Debian executables the end-to-end tests run."""

import os
import shutil

import pytest

from aiida_orbmag.codes import PREPEND_TEXT

pytest_plugins = ["aiida.tools.pytest_fixtures"]


def find_executable(name: str) -> str:
    """Absolute path of ``name``; a missing executable fails the test (CI installs them) unless
    ``ORBMAG_SKIP_MISSING_EXECUTABLES=1`` asks to skip instead, for machines without Quantum ESPRESSO / Wannier90."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not on PATH: install Debian's quantum-espresso and wannier90 (see .ci/run)"
        if os.environ.get("ORBMAG_SKIP_MISSING_EXECUTABLES") == "1":
            pytest.skip(message)
        pytest.fail(message)
    return path


@pytest.fixture(scope="session")
def executable():
    """:func:`find_executable`: the path of a Debian executable, or a failed (skipped) test without it."""
    return find_executable


@pytest.fixture
def stand_in_codes(aiida_profile, aiida_localhost):
    """A factory: ``stand_in_codes(prefix)`` -> pw, pw2wannier90 and wannier90 codes labelled ``{prefix}pw`` etc. that
    point at /bin/true (for builders and planted graphs), reused when already stored."""
    from aiida import orm

    plugins = {
        "pw": "quantumespresso.pw",
        "pw2wannier90": "quantumespresso.pw2wannier90",
        "wannier90": "orbmag.wannier90",
    }

    def code(label, plugin):
        existing = orm.QueryBuilder().append(orm.InstalledCode, filters={"label": label}).first(flat=True)
        if existing is not None:
            return existing
        return orm.InstalledCode(
            label=label, computer=aiida_localhost, filepath_executable="/bin/true", default_calc_job_plugin=plugin
        ).store()

    return lambda prefix="": {name: code(f"{prefix}{name}", plugin) for name, plugin in plugins.items()}


def debian_code(aiida_code_installed, executable, name, plugin, prepend_text=""):
    """The Debian executable ``name`` as a code labelled ``debian-{name}``: a label no stand-in code uses, and a loaded
    code that points elsewhere fails the test rather than running /bin/true (which once cost a CI run)."""
    path = executable(name)
    code = aiida_code_installed(
        label=f"debian-{name}", filepath_executable=path, default_calc_job_plugin=plugin, prepend_text=prepend_text
    )
    assert str(code.filepath_executable) == path, f"code {code.label} runs {code.filepath_executable}, not {path}"
    return code


@pytest.fixture
def wannier90_code(aiida_code_installed, executable):
    """``wannier90.x`` on the test profile's localhost computer, serial (the tests use tiny systems)."""
    return debian_code(aiida_code_installed, executable, "wannier90.x", "orbmag.wannier90")


@pytest.fixture
def qe_codes(aiida_code_installed, wannier90_code, executable):
    """pw, pw2wannier90 (with the prepend text they need under OpenMPI) and wannier90 on the test profile."""
    return {
        "pw": debian_code(aiida_code_installed, executable, "pw.x", "quantumespresso.pw", PREPEND_TEXT),
        "pw2wannier90": debian_code(
            aiida_code_installed, executable, "pw2wannier90.x", "quantumespresso.pw2wannier90", PREPEND_TEXT
        ),
        "wannier90": wannier90_code,
    }


@pytest.fixture(scope="session")
def nickel_afm_model_folder(tmp_path_factory):
    """A folder with the real spin-orbit Wannier model of the quick demo (Ni(111) bilayer, interlayer
    antiferromagnet, moments along y; tests/io/data/nickel_bilayer_afm): ``aiida_tb.dat`` and ``aiida_wsvec.dat``."""
    import gzip
    import pathlib

    source = pathlib.Path(__file__).parent / "io" / "data" / "nickel_bilayer_afm"
    folder = tmp_path_factory.mktemp("nickel_bilayer_afm")
    for name in ("aiida_tb.dat", "aiida_wsvec.dat"):
        (folder / name).write_bytes(gzip.decompress((source / f"{name}.gz").read_bytes()))
    return folder
