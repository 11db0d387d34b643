#!/usr/bin/env bash
#
# dev.sh - one entry point for building, testing and running Equality
# Monitor locally. `./dev.sh help` lists the commands.
#
# Environment:
#   EQM_BUILD_DIR       build directory for build/up/test/demo (default: build)
#   EQM_ASAN_BUILD_DIR  sanitizer build directory (default: build-asan)
#   EQM_FUZZ_BUILD_DIR  libFuzzer build directory (default: build-fuzz)
#   EQM_STACK_DIR       where `up` keeps its state (default: .stack)
#   EQM_JOBS            parallel build jobs (default: nproc)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"

BUILD_DIR=${EQM_BUILD_DIR:-build}
ASAN_DIR=${EQM_ASAN_BUILD_DIR:-build-asan}
FUZZ_DIR=${EQM_FUZZ_BUILD_DIR:-build-fuzz}
STACK_DIR=${EQM_STACK_DIR:-$ROOT/.stack}
JOBS=${EQM_JOBS:-$(nproc 2>/dev/null || echo 2)}

PACKAGES=(gcc make cmake pkg-config librdkafka-dev libjansson-dev libpq-dev libcmocka-dev libcurl4-openssl-dev
    postgresql postgresql-contrib kcat python3 python3-jsonschema tzdata procps iproute2
    valgrind clang-format git clang libclang-rt-14-dev libcurl4-openssl-dev python3-aiosmtpd openssl
    libmicrohttpd-dev libjs-chart.js chromium python3-websocket python3-prometheus-client
    poppler-utils perl)

# shellcheck source=tools/stack.sh
source "$ROOT/tools/stack.sh"

say() {
    printf 'dev.sh: %s\n' "$*"
}

die() {
    printf 'dev.sh: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
Usage: ./dev.sh COMMAND

  setup           install missing Debian packages (apt-get; sudo if not root)
  build           configure and build into build/ (programs in build/bin)
  build-sanitize  ASan+UBSan debug build into build-asan/
  up              start PostgreSQL and the dev broker on loopback under .stack/
                  and write .stack/env (source it: EQM_PG_URL, EQM_KAFKA_BROKERS,
                  EQM_BROKER_CONTROL); builds first if the broker is missing
  down [--purge]  stop both (--purge also deletes the database files)
  status          show what is running
  lint            formatting, ARCHITECTURE.md's include rules, the duplicates budget
  build-fuzz      the libFuzzer targets (clang, ASan+UBSan) into build-fuzz/
  fuzz [SECONDS]  run every fuzz target for SECONDS each (default 3600), one at a
                  time, over its seeds; prints executions and coverage per target
  test            setup, lint, build, all tests; then all tests again in the
                  sanitizer build; then each fuzz target for a short fixed run
  demo            setup, build, up, then tools/demo.sh
  bench           tools/bench.sh
  help            this text

EQM_BUILD_DIR overrides build/ (e.g. to reuse an existing build).
EOF
}

cmd_setup() {
    local missing=() pkg sudo=()
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        say "all packages present"
        return 0
    fi
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no sudo; install them as root"
        sudo=(sudo)
    fi
    say "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
}

cmd_build() {
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$BUILD_DIR" -j"$JOBS"
}

cmd_build_sanitize() {
    cmake -S "$ROOT" -B "$ASAN_DIR" -DEQM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$ASAN_DIR" -j"$JOBS"
}

# Writes a sourceable env file atomically, so a reader never sees half of it.
write_env() {
    local tmp="$STACK_DIR/env.tmp.$$"
    {
        printf '# written by dev.sh up; source this file\n'
        printf 'export EQM_PG_URL=%q\n' "$EQM_PG_URL"
        printf 'export EQM_KAFKA_BROKERS=%q\n' "$EQM_KAFKA_BROKERS"
        printf 'export EQM_BROKER_CONTROL=%q\n' "$EQM_BROKER_CONTROL"
        # Each program's own role (eqm_pg_roles); EQM_PG_URL is the owner's.
        local var
        for var in $(compgen -e | grep -E '^EQM_[A-Z_]+_PG_URL$'); do
            printf 'export %s=%q\n' "$var" "${!var}"
        done
    } >"$tmp"
    mv -f -- "$tmp" "$STACK_DIR/env"
}

# Absolute path of the build's bin directory (which may not exist yet).
bin_dir() {
    case $BUILD_DIR in
    /*) printf '%s/bin\n' "$BUILD_DIR" ;;
    *) printf '%s/%s/bin\n' "$ROOT" "$BUILD_DIR" ;;
    esac
}

cmd_up() {
    local bin_dir
    bin_dir=$(bin_dir)
    if [[ ! -x $bin_dir/eqm-devbroker ]]; then
        say "no $bin_dir/eqm-devbroker yet; building"
        cmd_build
    fi
    mkdir -p "$STACK_DIR"
    eqm_pg_start "$STACK_DIR" >/dev/null || die "PostgreSQL did not start"
    eqm_pg_roles "$bin_dir" || die "could not apply the migrations and make the programs' roles"
    eqm_broker_start "$STACK_DIR" "$bin_dir" >/dev/null || die "broker did not start"
    write_env
    cmd_status
    say "now: source $STACK_DIR/env"
}

cmd_down() {
    local purge=0
    [[ ${1:-} == --purge ]] && purge=1
    [[ -d $STACK_DIR ]] || {
        say "nothing to stop"
        return 0
    }
    # The demo's dashboard, if it runs.
    if [[ -f $STACK_DIR/web.pid ]]; then
        kill -TERM "$(cat "$STACK_DIR/web.pid")" 2>/dev/null || true
        rm -f -- "$STACK_DIR/web.pid"
    fi
    eqm_broker_stop "$STACK_DIR"
    if ((purge)); then
        eqm_pg_destroy "$STACK_DIR"
    else
        eqm_pg_stop "$STACK_DIR"
    fi
    rm -f -- "$STACK_DIR/env"
    if ((purge)); then
        say "stopped; database files deleted"
    else
        say "stopped (data kept; ./dev.sh down --purge deletes it)"
    fi
}

cmd_status() {
    local port pid bin_dir
    port=$(cat "$STACK_DIR/port" 2>/dev/null || true)
    if [[ -n $port ]] && pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
        say "postgres  up    postgresql://eqm@127.0.0.1:$port/eqm (data: $(readlink "$STACK_DIR/pg"))"
    else
        say "postgres  down"
    fi
    pid=$(cat "$STACK_DIR/broker.pid" 2>/dev/null || true)
    bin_dir=$(bin_dir)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        "$bin_dir/eqm-devbroker" ctl "$STACK_DIR/broker.sock" ping >/dev/null 2>&1; then
        say "broker    up    $(cat "$STACK_DIR/bootstrap") (pid $pid, control $STACK_DIR/broker.sock, log $STACK_DIR/broker.log)"
    else
        say "broker    down"
    fi
    [[ -f $STACK_DIR/env ]] && say "env       $STACK_DIR/env"
    return 0
}

cmd_build_fuzz() {
    CC=clang cmake -S "$ROOT" -B "$FUZZ_DIR" -DEQM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$FUZZ_DIR" -j"$JOBS" --target fuzz-message fuzz-rfc3339 fuzz-config fuzz-policeuk fuzz-population fuzz-rules
}

# Every fuzz target for $1 seconds, one after the other (tests/fuzz/run.sh
# reads EQM_FUZZ_SECONDS instead of the short run ctest gives it).
cmd_fuzz() {
    local seconds=${1:-3600}
    cmd_setup
    cmd_build_fuzz
    EQM_FUZZ_SECONDS=$seconds ctest --test-dir "$FUZZ_DIR" -L fuzz --verbose \
        --timeout $((seconds + 300))
}

cmd_lint() {
    bash "$ROOT/tools/lint.sh"
}

cmd_test() {
    local rc=0
    cmd_setup
    cmd_lint || rc=1
    cmd_build
    ctest --test-dir "$BUILD_DIR" --output-on-failure || rc=1
    cmd_build_sanitize
    # Everything again under ASan+UBSan: the services run sanitized against
    # the real broker and PostgreSQL in the integration tests.
    ctest --test-dir "$ASAN_DIR" --output-on-failure || rc=1
    # The fuzz targets, a short fixed number of runs each (./dev.sh fuzz runs longer).
    cmd_build_fuzz
    ctest --test-dir "$FUZZ_DIR" -L fuzz --output-on-failure || rc=1
    if ((rc)); then
        say "TESTS FAILED"
    else
        say "all tests passed"
    fi
    return "$rc"
}

cmd_demo() {
    cmd_setup
    cmd_build
    cmd_up
    if [[ -x $ROOT/tools/demo.sh || -f $ROOT/tools/demo.sh ]]; then
        # shellcheck disable=SC1091
        source "$STACK_DIR/env"
        exec bash "$ROOT/tools/demo.sh"
    fi
    say "no tools/demo.sh yet; the stack is up (source $STACK_DIR/env)"
}

cmd_bench() {
    if [[ -f $ROOT/tools/bench.sh ]]; then
        exec bash "$ROOT/tools/bench.sh" "$@"
    fi
    say "no tools/bench.sh yet"
}

main() {
    local cmd=${1:-help}
    (($#)) && shift
    case $cmd in
    setup) cmd_setup ;;
    build) cmd_build ;;
    build-sanitize) cmd_build_sanitize ;;
    up) cmd_up ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    lint) cmd_lint ;;
    build-fuzz) cmd_build_fuzz ;;
    fuzz) cmd_fuzz "$@" ;;
    test) cmd_test ;;
    demo) cmd_demo ;;
    bench) cmd_bench "$@" ;;
    help | -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
