"""What a long ``orbmag.compute_susceptibility`` does to a daemon worker under RabbitMQ, and the CalcJob route.

Starts a private RabbitMQ (loopback, its own ports, node name and folders, ``consumer_timeout`` set low so that
minutes show what RabbitMQ's default of 30 minutes does in hours), a private AiiDA profile (``core.sqlite_dos``
storage, ``core.rabbitmq`` broker) and a one-worker daemon. For each route (``calcfunction``: the calcfunction
submitted to the daemon; ``calcjob``: ``orbmag.compute`` running ``aiida-orbmag compute`` on localhost) it submits
one long computation of chi (sized from a calibration to last ``--seconds``) and, a few seconds later, a light
process (aiida-core's ``core.arithmetic.add_multiply`` workfunction) to the same worker, and records every
``--poll`` seconds:

- the processes' states, and how many ``orbmag.compute_susceptibility`` nodes exist (a requeued task run twice
  would show as a second run or a changed node);
- the broker's connections, channels and the task queue (ready / unacknowledged messages, consumers);
- how long ``verdi process status`` and an RPC (``verdi process pause`` / ``play``; ``kill`` for the calcfunction)
  take to answer;
- at the end, the broker's log lines about consumer timeouts and heartbeats, and the worker's log lines about its
  connection.

Run it (as root, Debian's rabbitmq-server installed; about 2 x ``--seconds`` plus 3 minutes):

    python benchmarks/long_calcfunction.py --workdir /tmp/measure --seconds 240 --consumer-timeout 60

It writes ``WORKDIR/results.json`` and prints the figures. Nothing outside WORKDIR and the ports given is touched;
``--keep`` leaves the broker and daemon running for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

RABBITMQ_BIN = pathlib.Path("/usr/lib/rabbitmq/bin")
PROFILE = "measure"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("/tmp/measure"))
    parser.add_argument("--seconds", type=float, default=240.0, help="target duration of the long computation (s)")
    parser.add_argument("--consumer-timeout", type=float, default=60.0, help="RabbitMQ consumer_timeout (s)")
    parser.add_argument("--port", type=int, default=5673, help="AMQP port of the private RabbitMQ")
    parser.add_argument("--dist-port", type=int, default=25673)
    parser.add_argument("--epmd-port", type=int, default=4370)
    parser.add_argument("--num-wann", type=int, default=16, help="size of the random model")
    parser.add_argument("--poll", type=float, default=10.0)
    parser.add_argument("--routes", default="calcfunction,calcjob")
    parser.add_argument("--keep", action="store_true", help="leave the broker and the daemon running")
    return parser.parse_args()


# ------------------------------------------------------------------------------------------------- the broker
def rabbitmq_environment(args) -> dict:
    base = args.workdir / "rabbitmq"
    return {
        **os.environ,
        "HOME": str(base / "home"),  # its own Erlang cookie
        "RABBITMQ_NODENAME": f"{PROFILE}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(args.port),
        "RABBITMQ_DIST_PORT": str(args.dist_port),
        "ERL_EPMD_PORT": str(args.epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),  # rabbitmq.conf
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
    }


def start_rabbitmq(args) -> subprocess.Popen:
    base = args.workdir / "rabbitmq"
    for folder in ("home", "mnesia", "log"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{args.port}\n"
        f"consumer_timeout = {int(args.consumer_timeout * 1000)}\n"
        "log.file.level = info\n"
    )
    environment = rabbitmq_environment(args)
    server = subprocess.Popen(
        [str(RABBITMQ_BIN / "rabbitmq-server")],
        env=environment,
        stdout=(base / "server.out").open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(60):  # the node registers with epmd some seconds after it starts (tens on a loaded machine)
        awaited = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "await_startup"], env=environment, capture_output=True, timeout=120
        )
        if awaited.returncode == 0:
            return server
        if server.poll() is not None:
            break
        time.sleep(3)
    raise RuntimeError(f"RabbitMQ did not start; see {base / 'server.out'} and {base / 'log'}.")


def rabbitmqctl(args, *command) -> str:
    completed = subprocess.run(
        [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", *command],
        env=rabbitmq_environment(args),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return completed.stdout.strip()


def broker_state(args) -> dict:
    queues = rabbitmqctl(args, "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers")
    tasks = [line.split("\t") for line in queues.splitlines() if "process.queue" in line]
    return {
        "connections": len([line for line in rabbitmqctl(args, "list_connections", "name").splitlines() if line]),
        "channels": len([line for line in rabbitmqctl(args, "list_channels", "name").splitlines() if line]),
        "task_queue": [{"ready": int(r), "unacked": int(u), "consumers": int(c)} for _, r, u, c in tasks],
    }


# ---------------------------------------------------------------------------------------- profile and daemon
def verdi(args, *command, timeout=120) -> tuple[float, int, str]:
    """(seconds, return code, output) of a verdi command on the private profile; rc 124 when it timed out."""
    start = time.monotonic()
    try:
        completed = subprocess.run(
            ["verdi", "-p", PROFILE, *command], env=aiida_environment(args), capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        return time.monotonic() - start, completed.returncode, (completed.stdout + completed.stderr).strip()
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, 124, "timed out"


def aiida_environment(args) -> dict:
    return {**os.environ, "AIIDA_PATH": str(args.workdir / "aiida")}


def setup_profile(args) -> None:
    environment = aiida_environment(args)
    shown = subprocess.run(["verdi", "profile", "show", PROFILE], env=environment, capture_output=True)
    if shown.returncode != 0:
        subprocess.run(
            ["verdi", "profile", "setup", "core.sqlite_dos", "-n", "--profile-name", PROFILE, "--email", "m@x.org",
             "--first-name", "M", "--last-name", "X", "--institution", "X", "--broker", "none",
             "--filepath", str(args.workdir / "aiida" / "storage")],
            env=environment, check=True,
        )  # fmt: skip
        subprocess.run(
            ["verdi", "-p", PROFILE, "profile", "configure-rabbitmq", "-n", "--broker-host", "127.0.0.1",
             "--broker-port", str(args.port)],
            env=environment, check=True,
        )  # fmt: skip
    subprocess.run(["verdi", "config", "set", "warnings.rabbitmq_version", "False"], env=environment, check=True)


# ------------------------------------------------------------------------------------------------- the runs
def calibrate(args, model) -> float:
    """Seconds per k-point of this model with the calcfunction's settings (a 24 x 24 run, in this process)."""
    from aiida_orbmag.physics import response

    start = time.monotonic()
    response.compute_susceptibility(model, [0.0], [0.0, 300.0], (24, 24))
    return (time.monotonic() - start) / 576


def long_parameters(seconds_per_k: float, seconds: float) -> dict:
    side = int((seconds / seconds_per_k) ** 0.5)
    return {"chemical_potential_range": [-1.0, 1.0, 201], "temperatures": [0.0, 300.0], "kmesh": [side, side]}


def submit_route(route: str, model_node, parameters: dict, code):
    from aiida import orm
    from aiida.engine import submit
    from aiida.plugins import CalculationFactory

    if route == "calcfunction":
        function = CalculationFactory("orbmag.compute_susceptibility")
        return submit(function, tight_binding=model_node, parameters=orm.Dict(parameters))
    builder = CalculationFactory("orbmag.compute").get_builder()
    builder.code, builder.tight_binding, builder.parameters = code, model_node, orm.Dict(parameters)
    builder.metadata.options.max_wallclock_seconds = 4 * 3600
    return submit(builder)


def count_compute_nodes() -> int:
    from aiida import orm

    filters = {"process_type": {"like": "%orbmag.compute%"}}
    return orm.QueryBuilder().append(orm.ProcessNode, filters=filters).count()


def measure_route(args, route: str, model_node, parameters: dict, code) -> dict:
    from aiida import orm
    from aiida.engine import submit
    from aiida.plugins import WorkflowFactory

    add_multiply = WorkflowFactory("core.arithmetic.add_multiply")
    start = time.monotonic()
    long_node = submit_route(route, model_node, parameters, code)
    time.sleep(5)
    light = submit(add_multiply, x=orm.Int(1), y=orm.Int(2), z=orm.Int(3))
    light_submitted = time.monotonic() - start
    record = {"route": route, "long_pk": long_node.pk, "light_pk": light.pk, "kmesh": parameters["kmesh"]}
    samples, light_done, rpc_done = [], None, False
    limit = 3 * args.seconds + 300
    while time.monotonic() - start < limit:
        elapsed = time.monotonic() - start
        long_node = orm.load_node(long_node.pk)
        light = orm.load_node(light.pk)
        if light_done is None and light.is_terminated:
            light_done = elapsed
        status_seconds, status_rc, _ = verdi(args, "process", "status", str(long_node.pk), timeout=60)
        sample = {
            "t_s": round(elapsed, 1),
            "long": long_node.process_state.value if long_node.process_state else None,
            "light": light.process_state.value if light.process_state else None,
            "compute_nodes": count_compute_nodes(),
            "verdi_status_s": round(status_seconds, 2) if status_rc == 0 else f"rc {status_rc}",
            **broker_state(args),
        }
        if not rpc_done and elapsed > args.consumer_timeout + 30 and not long_node.is_terminated:
            rpc_done = True
            if route == "calcfunction":
                seconds, rc, output = verdi(args, "process", "kill", "-t", "30", str(long_node.pk), timeout=90)
                sample["kill"] = {"seconds": round(seconds, 1), "rc": rc, "output": output[-300:]}
            else:
                seconds, rc, output = verdi(args, "process", "pause", "-t", "30", str(long_node.pk), timeout=90)
                sample["pause"] = {"seconds": round(seconds, 1), "rc": rc, "output": output[-300:]}
                seconds, rc, output = verdi(args, "process", "play", "-t", "30", str(long_node.pk), timeout=90)
                sample["play"] = {"seconds": round(seconds, 1), "rc": rc, "output": output[-300:]}
        samples.append(sample)
        print(json.dumps(sample), flush=True)
        if long_node.is_terminated and light.is_terminated and elapsed > long_node_end(record, elapsed) + 60:
            break
        time.sleep(args.poll)
    long_node = orm.load_node(long_node.pk)
    record.update(
        {
            "light_submitted_s": round(light_submitted, 1),
            "light_finished_s": None if light_done is None else round(light_done, 1),
            "light_state": light.process_state.value if light.process_state else None,
            "long_state": long_node.process_state.value if long_node.process_state else None,
            "long_exit_status": long_node.exit_status,
            "long_wall_s": round((long_node.mtime - long_node.ctime).total_seconds(), 1),
            "compute_nodes_at_end": count_compute_nodes(),
            "long_log": [entry.message for entry in orm.Log.collection.get_logs_for(long_node)][-10:],
            "samples": samples,
        }
    )
    return record


def long_node_end(record: dict, elapsed: float) -> float:
    """The elapsed time at which the long process was first seen terminated."""
    record.setdefault("long_seen_terminated_s", elapsed)
    return record["long_seen_terminated_s"]


def log_lines(path: pathlib.Path, words: tuple[str, ...], limit: int = 40) -> list[str]:
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    return [line for line in lines if any(word in line.lower() for word in words)][-limit:]


def main():
    args = parse_arguments()
    args.workdir.mkdir(parents=True, exist_ok=True)
    server = start_rabbitmq(args)
    try:
        setup_profile(args)
    except Exception:
        rabbitmqctl(args, "stop")
        raise
    os.environ["AIIDA_PATH"] = str(args.workdir / "aiida")
    from aiida import load_profile, orm

    load_profile(PROFILE)
    from aiida_orbmag.codes import localhost
    from aiida_orbmag.data import TightBindingData
    from aiida_orbmag.physics.reference_models import random_model

    model = random_model(args.num_wann, seed=1, hopping_range=3)
    model_node = TightBindingData(model=model).store()
    code = orm.InstalledCode(
        computer=localhost(), filepath_executable=shutil.which("aiida-orbmag"), label="aiida-orbmag-measure",
        default_calc_job_plugin="orbmag.compute",
    ).store()  # fmt: skip
    seconds_per_k = calibrate(args, model)
    parameters = long_parameters(seconds_per_k, args.seconds)
    print(f"{seconds_per_k * 1e3:.3f} ms per k-point: kmesh {parameters['kmesh']}", flush=True)
    results = {
        "rabbitmq": rabbitmqctl(args, "version"),
        "consumer_timeout_s": args.consumer_timeout,
        "heartbeat": rabbitmqctl(args, "environment").count("heartbeat"),
        "num_wann": args.num_wann,
        "ms_per_k_calibration": seconds_per_k * 1e3,
        "routes": [],
    }
    seconds, rc, output = verdi(args, "daemon", "start", "1")
    results["daemon_start"] = {"seconds": round(seconds, 1), "rc": rc, "output": output[-300:]}
    try:
        for route in args.routes.split(","):
            results["routes"].append(measure_route(args, route, model_node, parameters, code))
    finally:
        daemon_log = args.workdir / "aiida" / ".aiida" / "daemon" / "log" / f"aiida-{PROFILE}.log"
        words = ("heartbeat", "connection", "channel", "timeout", "timed out", "closed", "error", "excepted", "requeue")
        results["worker_log"] = log_lines(daemon_log, words)
        broker_logs = sorted((args.workdir / "rabbitmq" / "log").glob("*.log"))
        results["broker_log"] = [line for path in broker_logs for line in log_lines(path, words)]
        (args.workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
        print(json.dumps({k: v for k, v in results.items() if k != "routes"}, indent=2, default=str))
        if not args.keep:
            verdi(args, "daemon", "stop")
            rabbitmqctl(args, "stop")
            server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
