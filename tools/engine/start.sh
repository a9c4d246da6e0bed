#!/usr/bin/env bash
# AiiDA's distributed engine on one Debian machine, every service bound to 127.0.0.1:
#   PostgreSQL (core.psql_dos storage), RabbitMQ (broker, consumer_timeout raised for long steps), an SSH server,
#   a single-node Slurm (munge, slurmctld, slurmd) with slurmdbd + MariaDB (socket only) for `sacct` accounting,
#   an AiiDA profile on them, a computer reached with core.ssh + core.slurm, the chain's codes there, and the
#   daemon with 2 workers.
# It stands for a real cluster: there the services are run by the site, and the user does only the AiiDA steps
# (profile, computer, codes, daemon; README "On a cluster"). Here the tests and CI use it to exercise that path.
#
#   tools/engine/start.sh          start (or check) everything; rerunning it is harmless
#   tools/engine/start.sh install  only install the Debian packages (CI does this before the tests)
#   tools/engine/start.sh stop     stop everything it started (tools/engine/stop.sh does the same)
#   tools/engine/start.sh env      print the exports that point verdi / sacct at this setup
#
# State (data, logs, generated keys and passwords, never in the repository) lives in $ORBMAG_ENGINE_DIR
# (default /tmp/orbmag-engine); the AiiDA config is $ORBMAG_ENGINE_DIR/aiida (use it as AIIDA_PATH).
# Ports default to unusual numbers so that the machine's own services, if any, are left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

STATE=${ORBMAG_ENGINE_DIR:-/tmp/orbmag-engine}
PROFILE=${ORBMAG_ENGINE_PROFILE:-engine}
COMPUTER=${ORBMAG_ENGINE_COMPUTER:-slurm-ssh}
WORKERS=${ORBMAG_ENGINE_WORKERS:-2}
PG_PORT=${ORBMAG_ENGINE_PG_PORT:-54329}
AMQP_PORT=${ORBMAG_ENGINE_AMQP_PORT:-56729}
DIST_PORT=${ORBMAG_ENGINE_DIST_PORT:-56730}
EPMD_PORT=${ORBMAG_ENGINE_EPMD_PORT:-43690}
SSH_PORT=${ORBMAG_ENGINE_SSH_PORT:-22022}
SLURMCTLD_PORT=${ORBMAG_ENGINE_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${ORBMAG_ENGINE_SLURMD_PORT:-16818}
SLURMDBD_PORT=${ORBMAG_ENGINE_SLURMDBD_PORT:-16819}
# RabbitMQ's default is 30 min; a pw.x step can take hours, and the worker must not lose its task meanwhile
CONSUMER_TIMEOUT_MS=${ORBMAG_ENGINE_CONSUMER_TIMEOUT_MS:-36000000}
NODE=orbmag            # the Slurm node and cluster name
DATABASE=aiida_${PROFILE//[^A-Za-z0-9_]/_}
LOOPBACK=127.0.0.1
MUNGE_SOCKET=/run/munge/munge.socket.2

export AIIDA_PATH=$STATE/aiida
export SLURM_CONF=$STATE/slurm/slurm.conf
# libmariadb (slurmdbd's client) finds the server's socket here: MariaDB has no TCP listener at all
export MYSQL_UNIX_PORT=$STATE/mariadb/run/mysqld.sock

log() { printf '[engine %(%H:%M:%S)T] %s\n' -1 "$*"; }

# wait_for DESCRIPTION COMMAND...: poll until the command succeeds (services start in seconds; 60 s is generous)
wait_for() {
    local what=$1
    shift
    for _ in $(seq 1 120); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    log "timed out waiting for $what"
    return 1
}

port_open() { (exec 3<>"/dev/tcp/$LOOPBACK/$1") 2>/dev/null; }

# alive PIDFILE: the process whose pid the file holds is running
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# secret NAME: a random password generated once and kept (mode 600) in the state dir
secret() {
    local file=$STATE/secrets/$1
    if [ ! -s "$file" ]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$file")
    fi
    cat "$file"
}

install_packages() {
    local missing=()
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
    command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
    [ -x /usr/sbin/slurmctld ] || missing+=(slurm-wlm)
    [ -x /usr/sbin/slurmdbd ] || missing+=(slurmdbd)
    [ -x /usr/sbin/munged ] || missing+=(munge)
    [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    command -v pw.x >/dev/null || missing+=(quantum-espresso quantum-espresso-data libopenblas0-pthread)
    command -v wannier90.x >/dev/null || missing+=(wannier90)
    command -v ss >/dev/null || missing+=(iproute2) # the tests check the listening addresses with ss
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # Debian's maintainer scripts try to start the services; with no init system they fail harmlessly, and this
    # script starts its own instances instead (policy-rc.d 101 = "do not start")
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
    fi
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$policy" ] || $sudo rm -f "$policy"
}

pg_bin() { echo "/usr/lib/postgresql/$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -n | tail -1)/bin/$1"; }

start_postgres() {
    local data=$STATE/postgres/data run=$STATE/postgres/run
    mkdir -p "$STATE/postgres" "$run"
    chown postgres: "$STATE/postgres" "$run"
    if [ ! -s "$data/PG_VERSION" ]; then
        log "PostgreSQL: new cluster in $data"
        # C.UTF-8: the en_US.UTF-8 of `verdi presto --use-postgres` is not generated on these machines; peer auth on
        # the socket for the admin, a password over loopback TCP for AiiDA
        runuser -u postgres -- "$(pg_bin initdb)" -D "$data" -E UTF8 --locale=C.UTF-8 -U postgres \
            --auth-local=peer --auth-host=scram-sha-256 >/dev/null
        cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '$LOOPBACK'
port = $PG_PORT
unix_socket_directories = '$run'
EOF
    fi
    if ! runuser -u postgres -- "$(pg_bin pg_ctl)" -D "$data" status >/dev/null 2>&1; then
        log "PostgreSQL: starting on $LOOPBACK:$PG_PORT"
        # pg_ctl refuses root: run as postgres
        runuser -u postgres -- "$(pg_bin pg_ctl)" -D "$data" -l "$STATE/postgres/postgres.log" -w start >/dev/null
    fi
    local psql=(runuser -u postgres -- "$(pg_bin psql)" -h "$run" -p "$PG_PORT" -U postgres -qtA)
    if [ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname='aiida'")" ]; then
        "${psql[@]}" -c "create role aiida login password '$(secret aiida-db.pw)'"
    fi
    if [ -z "$("${psql[@]}" -c "select 1 from pg_database where datname='$DATABASE'")" ]; then
        "${psql[@]}" -c "create database $DATABASE owner aiida encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8' template template0"
    fi
}

start_rabbitmq() {
    local base=$STATE/rabbitmq
    mkdir -p "$base/log" "$base/mnesia" "$base/home"
    # the first boot creates this user (RabbitMQ's guest/guest would be the same password everywhere)
    cat >"$base/rabbitmq.conf" <<EOF
listeners.tcp.1 = $LOOPBACK:$AMQP_PORT
consumer_timeout = $CONSUMER_TIMEOUT_MS
default_user = aiida
default_pass = $(secret rabbitmq.pw)
loopback_users = none
EOF
    chmod 600 "$base/rabbitmq.conf"
    : >"$base/enabled_plugins"
    rabbitmq_env
    if port_open "$AMQP_PORT"; then return 0; fi
    log "RabbitMQ: starting on $LOOPBACK:$AMQP_PORT"
    # called directly, not through Debian's wrapper (which switches to the rabbitmq user and its fixed paths)
    /usr/lib/rabbitmq/bin/rabbitmq-server >"$base/log/stdout.log" 2>&1 &
    echo $! >"$base/server.pid"
    wait_for "RabbitMQ on port $AMQP_PORT" port_open "$AMQP_PORT"
}

# the environment of RabbitMQ and its Erlang runtime: everything in the state dir, every listener on loopback
# (AMQP, the Erlang distribution port, and epmd, Erlang's port mapper, which the VM starts on its own)
rabbitmq_env() {
    local base=$STATE/rabbitmq
    export HOME=$base/home \
        RABBITMQ_NODENAME=orbmag@localhost \
        RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf \
        RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins \
        RABBITMQ_MNESIA_BASE=$base/mnesia \
        RABBITMQ_LOG_BASE=$base/log \
        RABBITMQ_PID_FILE=$base/rabbitmq.pid \
        RABBITMQ_NODE_IP_ADDRESS=$LOOPBACK \
        RABBITMQ_NODE_PORT=$AMQP_PORT \
        RABBITMQ_DIST_PORT=$DIST_PORT \
        ERL_EPMD_ADDRESS=$LOOPBACK \
        ERL_EPMD_PORT=$EPMD_PORT \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start_sshd() {
    local dir=$STATE/ssh
    mkdir -p "$dir" /run/sshd
    chmod 700 "$dir"
    [ -s "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C orbmag-engine-host -f "$dir/host_ed25519"
    # the key AiiDA logs in with: generated here, never committed
    [ -s "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C orbmag-engine-client -f "$dir/id_ed25519"
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys"
    cat >"$dir/sshd_config" <<EOF
ListenAddress $LOOPBACK:$SSH_PORT
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
# the state dir may sit under a world-writable /tmp, which StrictModes rejects; the key folder itself is mode 700
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
UsePAM no
Subsystem sftp internal-sftp
# sbatch and squeue over SSH find this Slurm's configuration
SetEnv SLURM_CONF=$SLURM_CONF
EOF
    if alive "$dir/sshd.pid"; then
        kill -HUP "$(cat "$dir/sshd.pid")" # re-read the config (it may have changed)
        return 0
    fi
    log "sshd: starting on $LOOPBACK:$SSH_PORT"
    "$(command -v sshd || echo /usr/sbin/sshd)" -f "$dir/sshd_config" -E "$dir/sshd.log"
    wait_for "sshd on port $SSH_PORT" port_open "$SSH_PORT"
}

start_mariadb() {
    local dir=$STATE/mariadb
    mkdir -p "$dir/run"
    chown mysql: "$dir" "$dir/run"
    # no TCP at all (skip-networking): slurmdbd talks to it over the socket
    cat >"$dir/my.cnf" <<EOF
[mysqld]
datadir=$dir/data
socket=$MYSQL_UNIX_PORT
pid-file=$dir/run/mysqld.pid
skip-networking
log-error=$dir/mariadb.log
innodb_buffer_pool_size=64M
EOF
    if [ ! -d "$dir/data/mysql" ]; then
        log "MariaDB: new data dir for slurmdbd"
        mariadb-install-db --defaults-file="$dir/my.cnf" --user=mysql --auth-root-authentication-method=socket \
            >"$dir/install.log" 2>&1
    fi
    if ! alive "$dir/run/mysqld.pid"; then
        log "MariaDB: starting (socket only)"
        mariadbd-safe --defaults-file="$dir/my.cnf" --user=mysql >/dev/null 2>&1 &
        wait_for "MariaDB" mariadb-admin --socket="$MYSQL_UNIX_PORT" ping
    fi
    mariadb --socket="$MYSQL_UNIX_PORT" -e "
        create database if not exists slurm_acct_db;
        create user if not exists 'slurm'@'localhost' identified by '$(secret mariadb-slurm.pw)';
        grant all on slurm_acct_db.* to 'slurm'@'localhost';"
}

start_munge() {
    local dir=$STATE/munge
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ -s "$dir/munge.key" ] || (umask 077 && head -c 1024 /dev/urandom >"$dir/munge.key")
    alive "$dir/munged.pid" && return 0
    # one munged per host is the rule on clusters: if one answers on the socket (another instance's), use it
    if munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
        log "munge: using the munged already on $MUNGE_SOCKET"
        return 0
    fi
    log "munge: starting"
    # --force: run as root with the key in a private state dir (munged insists on its own user and paths otherwise)
    # the default socket: slurmctld's connection to slurmdbd ignores AuthInfo=socket= and looks there
    mkdir -p "$(dirname "$MUNGE_SOCKET")"
    munged --force --key-file="$dir/munge.key" --socket="$MUNGE_SOCKET" --pid-file="$dir/munged.pid" \
        --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
    wait_for "munged" test -S "$MUNGE_SOCKET"
}

write_slurm_conf() {
    local dir=$STATE/slurm cpus
    cpus=$(nproc)
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    cat >"$dir/slurm.conf" <<EOF
# written by tools/engine/start.sh: one node, everything as the invoking user, on loopback only
ClusterName=$NODE
SlurmctldHost=localhost($LOOPBACK)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
# bind every daemon to the address its name resolves to (loopback here), not to all addresses
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# no cgroups in containers: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$SLURMDBD_PORT
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=60
KillWait=5
NodeName=$NODE NodeHostname=localhost NodeAddr=$LOOPBACK CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    (
        umask 077
        cat >"$dir/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=$LOOPBACK
DbdPort=$SLURMDBD_PORT
# not in slurmdbd.conf's man page, but honoured: bind to DbdHost's address, not to all addresses
CommunicationParameters=NoInAddrAny
SlurmUser=$(id -un)
PidFile=$dir/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$(secret mariadb-slurm.pw)
StorageLoc=slurm_acct_db
EOF
    )
}

start_slurm() {
    local dir=$STATE/slurm
    write_slurm_conf
    if ! alive "$dir/slurmdbd.pid"; then
        log "slurmdbd: starting on $LOOPBACK:$SLURMDBD_PORT"
        # slurmdbd reads slurmdbd.conf next to $SLURM_CONF
        slurm_daemon slurmdbd 2>>"$dir/log/slurmdbd.stderr"
        wait_for "slurmdbd on port $SLURMDBD_PORT" port_open "$SLURMDBD_PORT"
    fi
    if ! alive "$dir/slurmctld.pid"; then
        log "slurmctld: starting on $LOOPBACK:$SLURMCTLD_PORT"
        slurm_daemon slurmctld 2>>"$dir/log/slurmctld.stderr"
        wait_for "slurmctld" scontrol ping
    fi
    if ! alive "$dir/slurmd.pid"; then
        log "slurmd: starting node $NODE on $LOOPBACK:$SLURMD_PORT"
        slurm_daemon slurmd -N "$NODE" 2>>"$dir/log/slurmd.stderr"
    fi
    wait_for "node $NODE idle" node_ready
}

# slurm_daemon CMD...: run a Slurm daemon whose host name is "localhost", in a UTS namespace of its own.
# NoInAddrAny binds to the address the host's name resolves to: loopback here, but a CI container's name often
# resolves to its LAN address. Where namespaces are not allowed, the daemon runs as is (the tests check the result).
slurm_daemon() {
    if unshare --uts true 2>/dev/null; then
        unshare --uts sh -c 'hostname localhost && exec "$@"' slurm_daemon "$@"
    else
        "$@"
    fi
}

node_ready() { sinfo -h -N -n "$NODE" -o %t | grep -Eq '^(idle|mix|alloc)'; }

verdi_p() { verdi -p "$PROFILE" "$@"; }

setup_profile() {
    if verdi profile show "$PROFILE" >/dev/null 2>&1; then return 0; fi
    log "AiiDA: profile $PROFILE (core.psql_dos + core.rabbitmq) in $AIIDA_PATH"
    verdi profile setup core.psql_dos --non-interactive --profile-name "$PROFILE" --no-set-as-default \
        --email engine@orbmag.local --first-name Engine --last-name Test --institution aiida-orbmag \
        --database-hostname "$LOOPBACK" --database-port "$PG_PORT" --database-name "$DATABASE" \
        --database-username aiida --database-password "$(secret aiida-db.pw)" \
        --repository-uri "file://$STATE/aiida/repository/$PROFILE" --broker core.rabbitmq >/dev/null
    verdi profile configure-broker core.rabbitmq "$PROFILE" --non-interactive --force --broker-host "$LOOPBACK" \
        --broker-port "$AMQP_PORT" --broker-username aiida --broker-password "$(secret rabbitmq.pw)" >/dev/null
    verdi profile set-default "$PROFILE" >/dev/null
    # Debian's 3.10 is newer than aiida-core's tested range; consumer_timeout is raised above
    verdi config set warnings.rabbitmq_version False >/dev/null
}

# aiida_python CODE: run CODE with the profile loaded and orm imported
aiida_python() {
    python3 -c "from aiida import load_profile, orm
load_profile('$PROFILE')
$1"
}

setup_computer() {
    local state
    state=$(aiida_python "
try:
    computer = orm.load_computer('$COMPUTER')
except Exception:
    print('missing')
else:
    print('configured' if computer.is_configured else 'unconfigured')")
    if [ "$state" = missing ]; then
        log "AiiDA: computer $COMPUTER (core.ssh to $LOOPBACK:$SSH_PORT, core.slurm)"
        # mpirun, not srun: OpenMPI starts its ranks itself inside the allocation (no PMI setup needed)
        verdi_p computer setup --non-interactive --label "$COMPUTER" --hostname "$LOOPBACK" \
            --description "single-node Slurm over SSH from tools/engine/start.sh" \
            --transport core.ssh --scheduler core.slurm --work-dir "$STATE/work/{username}" \
            --mpirun-command "mpirun -np {tot_num_mpiprocs}" --mpiprocs-per-machine "$(nproc)" \
            --shebang '#!/bin/bash' >/dev/null
    fi
    if [ "$state" != configured ]; then
        verdi_p computer configure core.ssh "$COMPUTER" --non-interactive --username "$(id -un)" \
            --port "$SSH_PORT" --key-filename "$STATE/ssh/id_ed25519" --no-look-for-keys --no-allow-agent \
            --key-policy AutoAddPolicy --no-load-system-host-keys --safe-interval 0.5 >/dev/null
    fi
}

# register_codes COMPUTER: the chain's codes on that computer, found there over SSH with `command -v`
register_codes() {
    aiida-orbmag codes setup -p "$PROFILE" --computer "$1" >/dev/null
}

setup_aiida() {
    # the daemon's workers load the chains by import path: the package must import from anywhere, not only here
    if ! (cd / && python3 -c "import aiida_orbmag") 2>/dev/null; then
        log "aiida_orbmag does not import outside the repository: pip install -e . (or set PYTHONPATH)"
        return 1
    fi
    setup_profile
    setup_computer
    register_codes "$COMPUTER"
    # the quick demo's Ni pseudopotential families (seconds; `aiida-orbmag pseudos install` adds the CrI3 ones), and
    # a scheduler poll every 2 s rather than the default 10 s: the tests' jobs last seconds
    aiida_python "
from aiida_orbmag.demo import pseudo_families
pseudo_families()
orm.load_computer('$COMPUTER').set_minimum_job_poll_interval(2.0)"
    if ! verdi_p daemon status >/dev/null 2>&1; then
        log "AiiDA: daemon with $WORKERS workers"
        verdi_p daemon start "$WORKERS" >/dev/null
    fi
}

stop_all() {
    log "stopping"
    if [ -d "$AIIDA_PATH" ] && verdi profile show "$PROFILE" >/dev/null 2>&1; then
        verdi_p daemon stop >/dev/null 2>&1 || true
    fi
    # jobs still in Slurm (a chain stopped mid-way) are cancelled first: slurmstepd and the MPI ranks of a running
    # job outlive slurmd, and would keep running in a work dir that may be deleted next
    if alive "$STATE/slurm/slurmctld.pid"; then
        squeue -h -o %A 2>/dev/null | xargs -r scancel --full 2>/dev/null || true
        for _ in $(seq 1 15); do
            [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
            sleep 2
        done
    fi
    local pidfile
    for pidfile in "$STATE/slurm/slurmd.pid" "$STATE/slurm/slurmctld.pid" "$STATE/slurm/slurmdbd.pid" \
        "$STATE/ssh/sshd.pid" "$STATE/munge/munged.pid"; do
        stop_pid "$pidfile"
    done
    if [ -d "$STATE/mariadb/run" ]; then
        mariadb-admin --socket="$MYSQL_UNIX_PORT" shutdown 2>/dev/null || true
    fi
    if [ -d "$STATE/rabbitmq" ]; then
        stop_pid "$STATE/rabbitmq/rabbitmq.pid"
        # epmd outlives the VM; stop only the one on this setup's port
        (rabbitmq_env && epmd -kill >/dev/null 2>&1) || true
    fi
    if [ -s "$STATE/postgres/data/PG_VERSION" ]; then
        runuser -u postgres -- "$(pg_bin pg_ctl)" -D "$STATE/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    log "stopped"
}

# stop_pid PIDFILE: TERM, then KILL after 10 s
stop_pid() {
    alive "$1" || return 0
    local pid
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
}

print_env() {
    echo "export AIIDA_PATH=$AIIDA_PATH SLURM_CONF=$SLURM_CONF"
    echo "# verdi -p $PROFILE ...; computer $COMPUTER; codes pw@$COMPUTER, pw2wannier90@$COMPUTER, wannier90@$COMPUTER"
}

main() {
    case "${1:-start}" in
    start)
        local start=$SECONDS
        install_packages
        mkdir -p "$STATE/secrets" "$AIIDA_PATH"
        chmod 700 "$STATE/secrets"
        chmod 755 "$STATE" # PostgreSQL and MariaDB run as their own users and need to reach their folders
        start_postgres
        (start_rabbitmq)
        start_sshd
        start_mariadb
        start_munge
        start_slurm
        setup_aiida
        log "ready in $((SECONDS - start)) s"
        print_env
        ;;
    install) install_packages ;;
    stop) stop_all ;;
    env) print_env ;;
    *)
        echo "usage: $0 [start|install|stop|env]" >&2
        exit 2
        ;;
    esac
}

main "$@"
