"""AiiDA's distributed engine for real (tools/engine/start.sh): PostgreSQL, RabbitMQ, 2 daemon workers, and a
computer reached over SSH whose jobs go through Slurm. The quick demo finishes there with its jobs in Slurm's
accounting; a chain survives its workers being killed; 50 light chains at once all finish; every service listens on
loopback only. About 8-10 minutes on 2 cores, most of it the demo's DFT."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import time

import pytest

from tests.engine.settings import COMPUTER, PORTS, SCRIPT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

#: light chains of the load test (the issue asks for at least 50)
LOAD_CHAINS = int(os.environ.get("ORBMAG_ENGINE_LOAD_CHAINS", "50"))
#: the services' own processes (their children, e.g. PostgreSQL's backends, listen on nothing)
SERVICE_PIDS = {
    "postgres": "postgres/data/postmaster.pid",
    "rabbitmq (beam)": "rabbitmq/rabbitmq.pid",
    "sshd": "ssh/sshd.pid",
    "munged": "munge/munged.pid",
    "mariadb": "mariadb/run/mysqld.pid",
    "slurmdbd": "slurm/slurmdbd.pid",
    "slurmctld": "slurm/slurmctld.pid",
    "slurmd": "slurm/slurmd.pid",
}


def _listeners() -> list[tuple[str, int, int]]:
    """(address, port, pid) of every listening TCP socket on the machine (`ss -ltnpH`)."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        local = line.split()[3]
        address, port = local.rsplit(":", 1)
        for pid in re.findall(r"pid=(\d+)", line):
            rows.append((address.strip("[]"), int(port), int(pid)))
    return rows


def test_services_listen_on_loopback_only(engine):
    # munged has no pid file here when the script found one already running (another instance's) and used it
    pids = {name: engine.pid(path) for name, path in SERVICE_PIDS.items() if (engine.state / path).exists()}
    listeners = _listeners()
    ours = [row for row in listeners if row[2] in pids.values() or row[1] in PORTS.values()]
    print("\n".join(f"engine: {address}:{port} pid {pid}" for address, port, pid in sorted(ours)))
    for address, port, pid in ours:
        assert ipaddress.ip_address(address.split("%")[0]).is_loopback, f"{address}:{port} (pid {pid}) is not loopback"
    # every TCP service is there (and on its configured port), MariaDB and munge have no TCP listener at all
    listening = {port for _, port, _ in ours}
    assert set(PORTS.values()) <= listening, f"not listening: {set(PORTS.values()) - listening}"
    assert not [row for row in listeners if row[2] in (pids["mariadb"], pids.get("munged"))]


def test_setup_script_is_idempotent(engine):
    """A second run finds everything up and changes nothing (same daemon, same computer, same codes)."""
    before = engine.verdi("daemon", "status")
    start = time.perf_counter()
    engine.run("bash", SCRIPT, timeout=600)
    print(f"\nengine: start.sh (warm) took {time.perf_counter() - start:.0f} s")
    daemon_pid = re.search(r"running as PID (\d+)", before).group(1)
    assert f"running as PID {daemon_pid}" in engine.verdi("daemon", "status")
    codes = engine.verdi("code", "list", "-a", "-Y", COMPUTER)
    # once each; compute is aiida-orbmag itself, found over SSH since the "cluster" is this machine
    assert sorted(re.findall(rf"(\w+)@{COMPUTER}", codes)) == ["compute", "ld1", "pw", "pw2wannier90", "wannier90"]


def test_demo_on_ssh_and_slurm(engine, demo_run):
    pk, state, seconds = demo_run
    print(f"\nengine: the quick demo on {COMPUTER} took {seconds:.0f} s")
    assert state == {"state": "finished", "exit_status": 0}, engine.verdi("process", "report", pk)
    calcjobs = engine.driver("calcjobs", pk)
    assert len(calcjobs) >= 5  # SCF, SOC SCF, NSCF, wannier90 -pp, pw2wannier90, wannier90
    assert all(job["computer"] == COMPUTER and job["exit_status"] == 0 for job in calcjobs)
    # every job went through Slurm once and its accounting record says it completed
    accounting = engine.sacct()
    for job in calcjobs:
        name, slurm_state, exit_code = accounting[job["job_id"]]
        assert (name, slurm_state, exit_code) == (f"aiida-{job['pk']}", "COMPLETED", "0:0")
    # provenance: chi back to the structure and the pseudopotentials, and to the magnetic point group
    checks = engine.driver("provenance", pk)
    assert all(checks.values()), {name: ok for name, ok in checks.items() if not ok}


def test_chain_survives_killed_workers(engine, demo_run):
    """The demo's magnetic step again, alone; while its pw.x job runs in Slurm every daemon worker is killed with
    SIGKILL and the daemon restarted. It finishes with as many CalcJobs as the same step inside the undisturbed
    demo, each submitted to Slurm once."""
    reference_magnetic = engine.driver("calcjobs", demo_run[0], "MagneticConfigurationWorkChain")
    pk = engine.driver("submit-magnetic", COMPUTER)["pk"]
    deadline = time.monotonic() + 600
    while not (job := engine.driver("running-job", pk)):
        assert time.monotonic() < deadline, "the magnetic chain's pw.x job never ran in Slurm"
        time.sleep(2)
    if "terminated" in job:
        pytest.fail("the chain finished before its pw.x job was seen running: nothing was killed")
    workers = engine.driver("workers")
    for pid in workers:
        os.kill(int(pid), signal.SIGKILL)
    print(f"\nengine: killed workers {sorted(workers)} (SIGKILL) while Slurm job {job['job_id']} ran")
    engine.verdi("daemon", "stop", timeout=120)
    engine.verdi("daemon", "start", "2", timeout=120)
    state = engine.wait([pk], timeout=900)[str(pk)]
    assert state == {"state": "finished", "exit_status": 0}, engine.verdi("process", "report", pk)
    calcjobs = engine.driver("calcjobs", pk)
    print(f"engine: killed run {len(calcjobs)} CalcJob(s), undisturbed {len(reference_magnetic)}")
    assert [job["process_label"] for job in calcjobs] == [job["process_label"] for job in reference_magnetic]
    # nothing submitted twice: one Slurm allocation per CalcJob, and the killed job's is the one that completed
    accounting = engine.sacct()
    for calcjob in calcjobs:
        names = [entry[0] for entry in accounting.values()]
        assert names.count(f"aiida-{calcjob['pk']}") == 1
    assert accounting[job["job_id"]][1] == "COMPLETED"


def test_fifty_light_chains_at_once(engine):
    before = engine.driver("workers")
    start = time.perf_counter()
    submitted = engine.driver("submit-load", LOAD_CHAINS)
    states = engine.wait(submitted["pks"], timeout=1200)
    seconds = time.perf_counter() - start
    after = engine.driver("workers")
    assert set(after) == set(before), "a daemon worker was restarted during the load test"
    cpu = sum(after[pid] - before[pid] for pid in after)
    per_chain = cpu / LOAD_CHAINS
    print(
        f"\nengine: {LOAD_CHAINS} chains on 2 workers in {seconds:.0f} s (submission {submitted['submit_seconds']:.1f}"
        f" s); workers' CPU {cpu:.1f} s, {per_chain:.2f} s per chain, of which chi itself "
        f"{submitted['chi_cpu_seconds']:.2f} s"
    )
    failed = {pk: state for pk, state in states.items() if state != {"state": "finished", "exit_status": 0}}
    assert not failed
