"""Commands the engine tests run as subprocesses inside the profile of tools/engine/start.sh (AIIDA_PATH and the
profile come from the environment), so that the pytest session's own test profile is never touched. Each command
prints JSON.

    python3 tests/engine/driver.py submit-magnetic COMPUTER
    python3 tests/engine/driver.py submit-load COUNT
    python3 tests/engine/driver.py wait TIMEOUT PK [PK ...]
    python3 tests/engine/driver.py calcjobs PK [PROCESS_LABEL]
    python3 tests/engine/driver.py running-job PK
    python3 tests/engine/driver.py workers
    python3 tests/engine/driver.py provenance PK
"""

from __future__ import annotations

import json
import os
import sys
import time

from aiida import load_profile, orm

#: chi of the reference model on a small mesh: a fraction of a second of physics per chain
LOAD_PARAMETERS = {"chemical_potentials": [0.0, 0.1], "temperatures": [0.0], "kmesh": [12, 12]}


def _codes(computer: str) -> dict:
    return {label: orm.load_code(f"{label}@{computer}") for label in ("pw", "pw2wannier90", "wannier90")}


def submit_magnetic(computer: str) -> dict:
    """The demo's magnetic step alone (the same inputs as the demo's own sub-chain): one collinear SCF in Slurm."""
    from aiida.engine import submit

    from aiida_orbmag.demo import demo_inputs
    from aiida_orbmag.workflows.magnetic_configuration import MagneticConfigurationWorkChain

    inputs = demo_inputs(_codes(computer))
    return {"pk": submit(MagneticConfigurationWorkChain, structure=inputs["structure"], **inputs["magnetic"]).pk}


def submit_load(count: str) -> dict:
    """``count`` ModelChiWorkChain on the reference model, submitted at once; also the CPU seconds of one chi."""
    from aiida.engine import submit

    from aiida_orbmag.data import TightBindingData
    from aiida_orbmag.physics import response
    from aiida_orbmag.physics.reference_models import cri3_like_bilayer
    from tests.engine.chains import ModelChiWorkChain

    model = cri3_like_bilayer()
    cpu = time.process_time()
    response.compute_susceptibility(model, LOAD_PARAMETERS["chemical_potentials"], [0.0], (12, 12))
    chi_cpu = time.process_time() - cpu
    tight_binding = TightBindingData(model=model).store()
    parameters = orm.Dict(LOAD_PARAMETERS).store()
    start = time.perf_counter()
    pks = [submit(ModelChiWorkChain, tight_binding=tight_binding, parameters=parameters).pk for _ in range(int(count))]
    return {"pks": pks, "submit_seconds": time.perf_counter() - start, "chi_cpu_seconds": chi_cpu}


def _state(pk: int) -> tuple[str | None, int | None]:
    # a query, not node attributes: the ORM caches nodes within the session
    query = orm.QueryBuilder().append(
        orm.ProcessNode, filters={"id": pk}, project=["attributes.process_state", "attributes.exit_status"]
    )
    return tuple(query.one())


def wait(timeout: str, *pks: str) -> dict:
    """Poll until every process in ``pks`` is terminated or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + float(timeout)
    states = {}
    while True:
        states = {pk: _state(int(pk)) for pk in pks}
        if all(state in ("finished", "excepted", "killed") for state, _ in states.values()):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(2)
    return {pk: {"state": state, "exit_status": exit_status} for pk, (state, exit_status) in states.items()}


def _calcjob_nodes(pk: str, below: str | None = None) -> list[orm.CalcJobNode]:
    top = orm.load_node(int(pk))
    if below is not None:
        (top,) = [node for node in top.called_descendants if node.process_label == below]
    return [node for node in top.called_descendants if isinstance(node, orm.CalcJobNode)]


def calcjobs(pk: str, below: str | None = None) -> list:
    """Every CalcJob below the process ``pk`` (or below its one descendant labelled ``below``): pk, process label,
    Slurm job id, state, exit status."""
    rows = []
    for node in _calcjob_nodes(pk, below):
        rows.append(
            {
                "pk": node.pk,
                "process_label": node.process_label,
                "job_id": node.get_job_id(),
                "state": node.process_state.value if node.process_state else None,
                "exit_status": node.exit_status,
                "computer": node.computer.label,
            }
        )
    return sorted(rows, key=lambda row: row["pk"])


def running_job(pk: str) -> dict:
    """A CalcJob below ``pk`` whose job Slurm reports as running; ``{"terminated": true}`` once ``pk`` is."""
    if orm.load_node(int(pk)).is_terminated:
        return {"terminated": True}
    for node in _calcjob_nodes(pk):
        state = node.get_scheduler_state()
        if state is not None and state.value == "running" and not node.is_terminated:
            return {"pk": node.pk, "job_id": node.get_job_id()}
    return {}


def workers() -> dict:
    """pid -> CPU seconds (user + system) of the daemon's workers."""
    from aiida.engine.daemon.client import get_daemon_client

    info = get_daemon_client().get_worker_info()["info"]
    ticks = os.sysconf("SC_CLK_TCK")
    result = {}
    for pid in info:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        result[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15 of proc(5))
    return result


def provenance(pk: str) -> dict:
    """aiida-orbmag's provenance checks of the chain ``pk`` (chi back to the structure and pseudopotentials)."""
    from aiida_orbmag.tools.provenance import chain_checks

    chain = orm.load_node(int(pk))
    return {name: present for name, present in chain_checks(chain.outputs.chi)}


COMMANDS = {
    "submit-magnetic": submit_magnetic,
    "submit-load": submit_load,
    "wait": wait,
    "calcjobs": calcjobs,
    "running-job": running_job,
    "workers": workers,
    "provenance": provenance,
}

if __name__ == "__main__":
    load_profile(os.environ.get("ORBMAG_ENGINE_PROFILE", "engine"))
    print(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])))
