"""The distributed engine of tools/engine/start.sh, started once per session in a state dir of its own and on ports
of its own (a user's running instance is left alone), and stopped at the end. The tests drive it through
subprocesses (verdi, sacct, tests/engine/driver.py) with AIIDA_PATH pointing at its config, so the session's own
test profile is never touched."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.engine.settings import COMPUTER, DRIVER, PORTS, PROFILE, REPOSITORY, SCRIPT


@dataclasses.dataclass
class Engine:
    """The running setup: its state dir, the environment that reaches it, and how long the script took."""

    state: pathlib.Path
    env: dict
    setup_seconds: float

    def run(self, *args, timeout: float = 300) -> str:
        result = subprocess.run(
            [str(a) for a in args], env=self.env, cwd=REPOSITORY, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result.stdout

    def driver(self, *args, timeout: float = 300):
        """The JSON printed by ``tests/engine/driver.py args``."""
        return json.loads(self.run("python3", DRIVER, *args, timeout=timeout).strip().splitlines()[-1])

    def verdi(self, *args, timeout: float = 300) -> str:
        return self.run("verdi", "-p", PROFILE, *args, timeout=timeout)

    def wait(self, pks, timeout: float) -> dict:
        return self.driver("wait", timeout, *pks, timeout=timeout + 120)

    def sacct(self, settle: float = 30) -> dict:
        """Slurm's accounting records (slurmdbd): job id -> (job name, state, exit code) of every allocation, once
        none is still pending or running (slurmctld sends the records to slurmdbd asynchronously; ``settle`` s)."""
        deadline = time.monotonic() + settle
        while True:
            lines = self.run("sacct", "-X", "-n", "-P", "-a", "-S", "2020-01-01", "-o", "JobID,JobName,State,ExitCode")
            records = {line.split("|")[0]: tuple(line.split("|")[1:]) for line in lines.splitlines() if line}
            if all(state not in ("PENDING", "RUNNING") for _, state, _ in records.values()):
                return records
            if time.monotonic() > deadline:
                return records
            time.sleep(2)

    def pid(self, relative: str) -> int:
        return int((self.state / relative).read_text().split()[0])


def _can_run_engine() -> str | None:
    """Why the engine cannot start here, or None."""
    if os.environ.get("ORBMAG_SKIP_ENGINE") == "1":
        return "ORBMAG_SKIP_ENGINE=1"
    if os.geteuid() != 0:
        return "the engine's services are started as root (runuser, /run/munge); CI runs as root"
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        return "tools/engine/start.sh needs Debian (apt-get) or the services installed"
    if shutil.which("verdi") is None or shutil.which("pw.x") is None:
        return "needs verdi and Quantum ESPRESSO on PATH"
    return None


@pytest.fixture(scope="session")
def engine():
    """Start the setup (cold: a fresh state dir), yield an :class:`Engine`, stop everything at the end."""
    reason = _can_run_engine()
    if reason is not None:
        pytest.skip(reason)
    # a folder the postgres and mysql users can reach (pytest's own tmp folders are private to root)
    state = pathlib.Path(tempfile.mkdtemp(prefix="orbmag-engine-"))
    env = dict(os.environ)
    env.update({f"ORBMAG_ENGINE_{key}": str(value) for key, value in PORTS.items()})
    env.update(
        {
            "ORBMAG_ENGINE_DIR": str(state),
            "ORBMAG_ENGINE_PROFILE": PROFILE,
            "ORBMAG_ENGINE_COMPUTER": COMPUTER,
            "AIIDA_PATH": str(state / "aiida"),
            "SLURM_CONF": str(state / "slurm" / "slurm.conf"),
            # the daemon's workers import the load test's chain (tests.engine.chains) from the repository
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
        }
    )
    start = time.perf_counter()
    setup = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    engine = Engine(state=state, env=env, setup_seconds=seconds)
    try:
        assert setup.returncode == 0, f"start.sh failed:\n{setup.stdout[-3000:]}\n{setup.stderr[-3000:]}"
        print(f"\nengine: start.sh (cold) took {seconds:.0f} s")
        yield engine
    finally:
        subprocess.run(["bash", SCRIPT, "stop"], env=env, capture_output=True, text=True, timeout=300)
        if os.environ.get("ORBMAG_KEEP_ENGINE") != "1":
            shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_run(engine):
    """The quick demo submitted to the daemon on the SSH + Slurm computer, undisturbed, finished: (pk, seconds)."""
    start = time.perf_counter()
    # the README's main job, as a user on a cluster runs it: the example script with --computer and --submit
    printed = engine.verdi("run", "examples/quick_demo.py", "--computer", COMPUTER, "--submit", timeout=600)
    pk = int(re.search(r"Submitted SusceptibilityWorkChain<(\d+)>", printed).group(1))
    states = engine.wait([pk], timeout=float(os.environ.get("ORBMAG_ENGINE_DEMO_TIMEOUT", "2400")))
    return pk, states[str(pk)], time.perf_counter() - start
