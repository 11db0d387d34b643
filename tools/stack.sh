# shellcheck shell=bash
#
# tools/stack.sh - a throwaway PostgreSQL 15 cluster and the dev broker on
# loopback, for dev.sh up/down and the integration tests. Source it; it only
# defines functions (and sets no shell options of its own).
#
#   eqm_pg_start DIR             start (initdb if needed) a cluster for DIR;
#                                exports EQM_PG_URL and prints it. With
#                                EQM_PG_TLS=1 the cluster takes TLS only
#                                (below) and EQM_PG_URL says sslmode=verify-full
#   eqm_pg_roles BIN_DIR         as the owner (EQM_PG_URL), apply the migrations,
#                                make a login role per program in its group role
#                                (README "Security") and export each program's
#                                EQM_<PROGRAM>_PG_URL, e.g. EQM_STOP_SEARCH_PG_URL
#   eqm_pg_stop DIR              pg_ctl stop -m fast
#   eqm_pg_destroy DIR           stop and delete the cluster's files
#   eqm_broker_start DIR BIN_DIR [ARGS...]
#                                start BIN_DIR/eqm-devbroker; exports
#                                EQM_KAFKA_BROKERS and EQM_BROKER_CONTROL
#   eqm_broker_stop DIR          SIGTERM, then SIGKILL after a bounded wait
#   eqm_wait_until TIMEOUT_S CMD...
#                                run CMD until it succeeds or time runs out
#
# Every function returns non-zero (with a message on stderr) on failure and
# never exits the caller's shell. Every wait is bounded.
#
# Where things live:
#   DIR/pg        symlink to the cluster's own directory, which is
#                 /var/tmp/eqm-pg-<hash of DIR>: PostgreSQL refuses to run as
#                 root, so as root it runs as "postgres", which may not be
#                 able to enter DIR. The short path also keeps the Unix socket
#                 path under its 107-byte limit.
#   DIR/port      the TCP port (127.0.0.1 only)
#   DIR/pg/tls/   with EQM_PG_TLS=1: a throwaway CA (ca.crt, exported as
#                 EQM_PG_CA) and the server's certificate for the name
#                 "localhost" only (DNS SAN, no IP SAN: a client that checks
#                 the name and connects as 127.0.0.1 is refused), made by
#                 openssl on first use
#   DIR/broker.{pid,log,sock}, DIR/bootstrap   the broker's files
#
# Tunables (environment): EQM_PG_BINDIR (default: newest
# /usr/lib/postgresql/*/bin), EQM_PG_PORT_BASE (55432), EQM_PG_OS_USER
# (postgres, used only when running as root), EQM_BROKER_START_TIMEOUT (20),
# EQM_PG_SETTINGS (server -c options, below), EQM_PG_TLS (1: TLS only).

# The cluster runs as a small production server would be set up, not with
# initdb's minimal defaults: buffers that hold the working set (the
# de-duplication keys and the count tables), compressed full-page images,
# and checkpoints far enough apart that a page is not logged whole again
# every few seconds. Durability is untouched (fsync and synchronous_commit
# stay on). README "Performance" shows what each buys.
EQM_PG_SETTINGS=${EQM_PG_SETTINGS-"-c shared_buffers=512MB -c wal_compression=lz4 -c max_wal_size=4GB -c checkpoint_timeout=15min"}

# Runs CMD every 0.2 s until it succeeds (0) or TIMEOUT_S seconds pass (1).
eqm_wait_until() {
    local timeout_s=$1 deadline now
    shift
    deadline=$(($(date +%s%N) / 1000000 + timeout_s * 1000))
    while :; do
        if "$@"; then
            return 0
        fi
        now=$(($(date +%s%N) / 1000000))
        if ((now >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

_eqm_err() {
    printf 'stack.sh: %s\n' "$*" >&2
}

_eqm_abspath() {
    local d=$1
    mkdir -p -- "$d" && (cd -- "$d" && pwd -P)
}

_eqm_pg_bindir() {
    local d
    if [[ -n ${EQM_PG_BINDIR:-} ]]; then
        printf '%s\n' "$EQM_PG_BINDIR"
        return 0
    fi
    for d in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [[ -x $d/pg_ctl ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname -- "$(command -v pg_ctl)"
        return 0
    fi
    _eqm_err "no PostgreSQL server binaries found (apt-get install postgresql, or set EQM_PG_BINDIR)"
    return 1
}

# Runs a server command as the OS user that owns the cluster: "postgres"
# when we are root (initdb/postgres refuse root), ourselves otherwise. It
# starts from / so a cwd the postgres user cannot enter does not matter.
_eqm_as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u "${EQM_PG_OS_USER:-postgres}" -- "$@")
    else
        "$@"
    fi
}

# The cluster's directory for DIR (absolute), stable across runs.
_eqm_pg_home() {
    local dir=$1 hash
    hash=$(printf '%s' "$dir" | sha1sum | cut -c1-12)
    printf '/var/tmp/eqm-pg-%s\n' "$hash"
}

# True if something listens on 127.0.0.1:PORT (or on every address).
_eqm_port_busy() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Htln "( sport = :$port )" 2>/dev/null) ]] && return 0
    fi
    # The probe catches listeners ss cannot show us (other namespaces aside).
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

_eqm_pg_running() {
    local bindir=$1 home=$2
    [[ -f $home/data/PG_VERSION ]] || return 1
    _eqm_as_pg "$bindir/pg_ctl" status -D "$home/data" >/dev/null 2>&1
}

_eqm_pg_ready() {
    local bindir=$1 home=$2 port=$3
    "$bindir/pg_isready" -q -h "$home/sock" -p "$port" -d postgres -U postgres >/dev/null 2>&1
}

# The cluster's client authentication: trust, but only over its private
# socket directory (mode 0700) and 127.0.0.1; with TLS (EQM_PG_TLS=1)
# TCP must be encrypted. No IPv6, no other hosts. Written at every start,
# so a cluster follows the mode it is started in.
_eqm_pg_hba() {
    local home=$1
    # shellcheck disable=SC2016 # $1 is for the inner shell
    if [[ ${EQM_PG_TLS:-0} == 1 ]]; then
        _eqm_as_pg sh -c 'cat > "$1"' sh "$home/data/pg_hba.conf" <<'EOF'
# eqm throwaway cluster (tools/stack.sh), TLS only over TCP
local       all   all                  trust
hostssl     all   all   127.0.0.1/32   trust
hostnossl   all   all   127.0.0.1/32   reject
EOF
    else
        _eqm_as_pg sh -c 'cat > "$1"' sh "$home/data/pg_hba.conf" <<'EOF'
# eqm throwaway cluster (tools/stack.sh)
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
EOF
    fi
}

# A throwaway CA and the server's certificate (SAN DNS:localhost only),
# made once in HOME/tls by the cluster's owner, the key mode 0600 as the
# server demands.
_eqm_pg_tls_certs() {
    local home=$1
    [[ -s $home/tls/server.crt && -s $home/tls/ca.crt ]] && return 0
    command -v openssl >/dev/null 2>&1 || {
        _eqm_err "EQM_PG_TLS=1 needs openssl"
        return 1
    }
    # shellcheck disable=SC2016 # the inner shell's variables
    _eqm_as_pg sh -c '
        set -e
        umask 077
        mkdir -p "$1" && cd "$1"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
            -subj "/CN=eqm throwaway CA" -keyout ca.key -out ca.crt \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
        printf "%s\n" "subjectAltName=DNS:localhost" "extendedKeyUsage=serverAuth" \
            "basicConstraints=CA:FALSE" > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
            -sha256 -extfile server.ext -out server.crt
        chmod 0644 ca.crt server.crt
        chmod 0755 .
    ' sh "$home/tls" >"$home/tls.log" 2>&1 || {
        _eqm_err "could not make the TLS certificates, see $home/tls.log:"
        tail -n 20 "$home/tls.log" >&2
        return 1
    }
}

_eqm_pg_init() {
    local bindir=$1 home=$2
    _eqm_as_pg "$bindir/initdb" -D "$home/data" -U postgres -E UTF8 --no-locale \
        --auth=trust >"$home/initdb.log" 2>&1 || {
        _eqm_err "initdb failed, see $home/initdb.log:"
        tail -n 20 "$home/initdb.log" >&2
        return 1
    }
}

# eqm_pg_start DIR: start (and on first use initdb) the cluster for DIR.
eqm_pg_start() {
    local dir home bindir port base attempt started=0 owner tls_opts=
    if (($# != 1)); then
        _eqm_err "usage: eqm_pg_start DIR"
        return 2
    fi
    dir=$(_eqm_abspath "$1") || return 1
    bindir=$(_eqm_pg_bindir) || return 1
    home=$(_eqm_pg_home "$dir")
    owner=$(id -un)
    ((EUID == 0)) && owner=${EQM_PG_OS_USER:-postgres}

    if [[ ! -d $home ]]; then
        mkdir -p -- "$home" || return 1
        chown "$owner:" "$home" || return 1
        chmod 0700 "$home" || return 1
    fi
    ln -sfn -- "$home" "$dir/pg" || return 1
    if [[ ! -f $home/data/PG_VERSION ]]; then
        rm -rf -- "${home:?}/data"
        _eqm_as_pg mkdir -p "$home/sock" || return 1
        _eqm_as_pg chmod 0700 "$home/sock" || return 1
        _eqm_pg_init "$bindir" "$home" || return 1
    fi

    if [[ ${EQM_PG_TLS:-0} == 1 ]]; then
        _eqm_pg_tls_certs "$home" || return 1
        tls_opts="-c ssl=on -c ssl_cert_file='$home/tls/server.crt' -c ssl_key_file='$home/tls/server.key'"
    fi

    if _eqm_pg_running "$bindir" "$home"; then
        port=$(cat "$dir/port" 2>/dev/null || cat "$home/port" 2>/dev/null || true)
        if [[ -z $port ]] || ! eqm_wait_until 30 _eqm_pg_ready "$bindir" "$home" "$port"; then
            _eqm_err "cluster in $home runs but does not answer on port '${port}'"
            return 1
        fi
        local ssl want=off
        [[ ${EQM_PG_TLS:-0} == 1 ]] && want=on
        ssl=$("$bindir/psql" -XAtq -h "$home/sock" -p "$port" -U postgres -d postgres -c 'show ssl')
        if [[ $ssl != "$want" ]]; then
            _eqm_err "cluster in $home runs with ssl=$ssl, not as EQM_PG_TLS=${EQM_PG_TLS:-0} asks: eqm_pg_stop it first"
            return 1
        fi
    else
        _eqm_pg_hba "$home" || return 1
        # Prefer the port used last time, then scan upwards. Another process
        # may take a port between our check and the server's bind, so a
        # failed start moves on to the next port (bounded).
        base=${EQM_PG_PORT_BASE:-55432}
        port=$(cat "$home/port" 2>/dev/null || echo "$base")
        for ((attempt = 0; attempt < 200 && !started; attempt++)); do
            if _eqm_port_busy "$port"; then
                port=$((port + 1))
                continue
            fi
            if _eqm_as_pg "$bindir/pg_ctl" start -D "$home/data" -w -t 60 -l "$home/postgres.log" \
                -o "-p $port -k '$home/sock' -c listen_addresses=127.0.0.1 $tls_opts $EQM_PG_SETTINGS" \
                >/dev/null 2>&1; then
                started=1
            elif _eqm_pg_running "$bindir" "$home"; then
                _eqm_err "postgres started but is not ready, see $home/postgres.log"
                tail -n 20 "$home/postgres.log" >&2
                return 1
            else
                port=$((port + 1))
            fi
        done
        if ((!started)); then
            _eqm_err "could not start postgres on any port from $base, see $home/postgres.log:"
            tail -n 20 "$home/postgres.log" >&2
            return 1
        fi
        printf '%s\n' "$port" >"$dir/port"
        # shellcheck disable=SC2016 # $1, $2 are for the inner shell
        _eqm_as_pg sh -c 'printf "%s\n" "$1" > "$2"' sh "$port" "$home/port"
    fi

    # Role and database "eqm", created once; the psql runs over the socket.
    local psql=("$bindir/psql" -XAtq -v ON_ERROR_STOP=1 -h "$home/sock" -p "$port" -U postgres -d postgres)
    # eqm owns the schema and runs the migrations; CREATEROLE for the
    # group roles of migration 018 and the programs' login roles.
    if [[ $("${psql[@]}" -c "select 1 from pg_roles where rolname = 'eqm'") != 1 ]]; then
        "${psql[@]}" -c "create role eqm login createrole" || return 1
    else
        "${psql[@]}" -c "alter role eqm createrole" || return 1
    fi
    if [[ $("${psql[@]}" -c "select 1 from pg_database where datname = 'eqm'") != 1 ]]; then
        "${psql[@]}" -c "create database eqm owner eqm" || return 1
    fi

    if [[ ${EQM_PG_TLS:-0} == 1 ]]; then
        # The name the certificate holds, checked (verify-full) against
        # the throwaway CA; hostaddr spares a lookup of localhost (::1
        # first, where nothing listens).
        export EQM_PG_CA=$home/tls/ca.crt
        export EQM_PG_URL="postgresql://eqm@localhost:$port/eqm?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=$EQM_PG_CA"
    else
        export EQM_PG_URL="postgresql://eqm@127.0.0.1:$port/eqm"
    fi
    printf 'EQM_PG_URL=%s\n' "$EQM_PG_URL"
}

# The login role of each program that connects to PostgreSQL, and its
# group role: PROGRAM:LOGIN:GROUP.
EQM_PG_PROGRAM_ROLES=(
    stop-search:eqm_svc_stop_search:eqm_stop_search
    custody:eqm_svc_custody:eqm_custody
    recruitment:eqm_svc_recruitment:eqm_recruitment
    alert-relay:eqm_svc_relay:eqm_relay
    notify:eqm_svc_notify:eqm_notify
    web:eqm_svc_web:eqm_analyst
    report:eqm_svc_report:eqm_analyst
    admin:eqm_svc_admin:eqm_admin
)

# eqm_pg_roles BIN_DIR: after eqm_pg_start. The cluster trusts loopback,
# so the login roles have no password here (a force's cluster gives each
# its own: README "Security").
eqm_pg_roles() {
    local bin=$1 entry program login group var
    if (($# != 1)) || [[ -z ${EQM_PG_URL:-} ]]; then
        _eqm_err "usage: eqm_pg_roles BIN_DIR (after eqm_pg_start)"
        return 2
    fi
    local out
    out=$(EQM_ADMIN_PG_URL=$EQM_PG_URL "$bin/eqm-admin" migrate 2>&1) || {
        _eqm_err "migrations failed:"
        printf '%s\n' "$out" | tail -n 20 >&2
        return 1
    }
    for entry in "${EQM_PG_PROGRAM_ROLES[@]}"; do
        IFS=: read -r program login group <<<"$entry"
        psql -XAtq -v ON_ERROR_STOP=1 "$EQM_PG_URL" -c "
            DO \$\$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$login') THEN
                    CREATE ROLE $login LOGIN;
                END IF;
            END \$\$;
            GRANT $group TO $login" >/dev/null || {
            _eqm_err "could not make login role $login"
            return 1
        }
        var="EQM_$(tr 'a-z-' 'A-Z_' <<<"$program")_PG_URL"
        export "$var=${EQM_PG_URL/\/\/eqm@/\/\/$login@}"
    done
}

# eqm_pg_stop DIR: stop the cluster if it runs; data stays.
eqm_pg_stop() {
    local dir home bindir
    if (($# != 1)); then
        _eqm_err "usage: eqm_pg_stop DIR"
        return 2
    fi
    [[ -d $1 ]] || return 0
    dir=$(cd -- "$1" && pwd -P) || return 1
    bindir=$(_eqm_pg_bindir) || return 1
    home=$(_eqm_pg_home "$dir")
    _eqm_pg_running "$bindir" "$home" || return 0
    if ! _eqm_as_pg "$bindir/pg_ctl" stop -D "$home/data" -m fast -w -t 30 >/dev/null 2>&1; then
        _eqm_err "fast stop timed out, stopping immediately"
        _eqm_as_pg "$bindir/pg_ctl" stop -D "$home/data" -m immediate -w -t 30 >/dev/null 2>&1 || {
            _eqm_err "could not stop postgres in $home"
            return 1
        }
    fi
}

# eqm_pg_destroy DIR: stop the cluster and delete its files.
eqm_pg_destroy() {
    local dir home
    if (($# != 1)); then
        _eqm_err "usage: eqm_pg_destroy DIR"
        return 2
    fi
    [[ -d $1 ]] || return 0
    eqm_pg_stop "$1" || return 1
    dir=$(cd -- "$1" && pwd -P) || return 1
    home=$(_eqm_pg_home "$dir")
    rm -rf -- "${home:?}"
    rm -f -- "$dir/pg" "$dir/port"
}

# True if PID is alive and is an eqm-devbroker (not a recycled PID).
_eqm_broker_alive() {
    local pid=$1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'eqm-devbroker'
}

# Done waiting: the bootstrap file is there, or the broker already died.
_eqm_broker_started() {
    local pid
    [[ -s $1/bootstrap ]] && return 0
    pid=$(cat "$1/broker.pid" 2>/dev/null || true)
    [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null
}

_eqm_broker_gone() {
    ! _eqm_broker_alive "$1"
}

_eqm_broker_export() {
    local dir=$1
    EQM_KAFKA_BROKERS=$(cat "$dir/bootstrap") || return 1
    export EQM_KAFKA_BROKERS
    export EQM_BROKER_CONTROL="$dir/broker.sock"
}

# eqm_broker_start DIR BIN_DIR [ARGS...]: start the dev broker (or reuse the
# one already running for DIR); extra ARGS go to eqm-devbroker.
eqm_broker_start() {
    local dir bin pid timeout_s
    if (($# < 2)); then
        _eqm_err "usage: eqm_broker_start DIR BUILD_BIN_DIR [ARGS...]"
        return 2
    fi
    dir=$(_eqm_abspath "$1") || return 1
    bin=$2/eqm-devbroker
    shift 2
    timeout_s=${EQM_BROKER_START_TIMEOUT:-20}

    pid=$(cat "$dir/broker.pid" 2>/dev/null || true)
    if _eqm_broker_alive "$pid" && [[ -s $dir/bootstrap ]] &&
        "$bin" ctl "$dir/broker.sock" ping >/dev/null 2>&1; then
        _eqm_broker_export "$dir" || return 1
        printf 'EQM_KAFKA_BROKERS=%s\n' "$EQM_KAFKA_BROKERS"
        return 0
    fi
    if _eqm_broker_alive "$pid"; then
        _eqm_err "broker $pid for $dir does not answer; restarting it"
        eqm_broker_stop "$dir" || return 1
    fi
    if [[ ! -x $bin ]]; then
        _eqm_err "$bin not found; build first (./dev.sh build)"
        return 1
    fi
    rm -f -- "$dir/bootstrap" "$dir/broker.pid"

    # Own session, so a Ctrl-C in the terminal that ran `dev.sh up` does not
    # reach it. The inner shell records its own PID and then becomes the
    # broker, so the PID file is right whether or not setsid had to fork.
    # shellcheck disable=SC2016 # $$, $1, $@ are for the inner shell
    setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' eqm-broker-launch "$dir/broker.pid" \
        "$bin" --bootstrap-file "$dir/bootstrap" --control-socket "$dir/broker.sock" "$@" \
        </dev/null >>"$dir/broker.log" 2>&1 &

    # The broker writes the bootstrap file last, once topics and the control
    # socket are ready.
    if ! eqm_wait_until "$timeout_s" _eqm_broker_started "$dir" || [[ ! -s $dir/bootstrap ]]; then
        _eqm_err "broker did not start within ${timeout_s}s, see $dir/broker.log:"
        tail -n 20 "$dir/broker.log" >&2
        eqm_broker_stop "$dir" >/dev/null 2>&1
        return 1
    fi
    _eqm_broker_export "$dir" || return 1
    printf 'EQM_KAFKA_BROKERS=%s\n' "$EQM_KAFKA_BROKERS"
}

# eqm_broker_stop DIR: SIGTERM, wait up to 10 s, then SIGKILL.
eqm_broker_stop() {
    local dir pid
    if (($# != 1)); then
        _eqm_err "usage: eqm_broker_stop DIR"
        return 2
    fi
    dir=$1
    pid=$(cat "$dir/broker.pid" 2>/dev/null || true)
    if _eqm_broker_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! eqm_wait_until 10 _eqm_broker_gone "$pid"; then
            _eqm_err "broker $pid ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            eqm_wait_until 5 _eqm_broker_gone "$pid" || true
        fi
    fi
    rm -f -- "$dir/broker.pid" "$dir/broker.sock" "$dir/bootstrap"
}
