# shellcheck shell=bash
# Helpers for the local stack, sourced by up.sh and test.sh (and usable from a shell:
# `source infra/local/lib.sh; ensure_postgres; start_broker`).
#
# Everything here is idempotent: it reuses what already runs and starts only what is missing.
# It prints nothing on plain reuse; it says so when it starts, builds or installs something.
#
# Settings (all optional):
#   HIRELEDGER_STATE_DIR     state folder (default <repo>/.state, git-ignored)
#   HIRELEDGER_CACHE         tool cache outside the repo (default ~/.cache/hireledger)
#   HIRELEDGER_DATABASE_URL  use this PostgreSQL instead of looking for one
#   HIRELEDGER_KAFKA_BROKERS broker address (default 127.0.0.1:9092)
#   HIRELEDGER_LOCAL_PG_PORT port of the project-local cluster (default 5433)
#
# After ensure_postgres:  HIRELEDGER_DATABASE_URL (…/hireledger) and HL_PG_SERVER_URL (no database)
# After start_broker:     HIRELEDGER_KAFKA_BROKERS, HL_BROKER_STARTED=1 when this shell started it

HL_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HL_KAFKA_POM="$HL_REPO/infra/local/kafka/pom.xml"
HL_DEFAULT_PG_SERVER="postgres://postgres@127.0.0.1:5432"
HL_DEFAULT_DB_NAME="hireledger"

hl_log() { printf '==> %s\n' "$*" >&2; }
hl_warn() { printf 'WARNING: %s\n' "$*" >&2; }
hl_die() {
    printf 'ERROR: %s\n' "$*" >&2
    return 1
}

# The state folder (created on first use).
hl_state_dir() {
    local dir="${HIRELEDGER_STATE_DIR:-$HL_REPO/.state}"
    mkdir -p "$dir"
    printf '%s\n' "$dir"
}

# The tool cache outside the repo (survives fresh clones on the same machine).
hl_cache_dir() {
    local dir="${HIRELEDGER_CACHE:-${HOME:-/tmp}/.cache/hireledger}"
    mkdir -p "$dir"
    printf '%s\n' "$dir"
}

# 0 when something accepts TCP connections on HOST PORT (bash's /dev/tcp, no nc needed).
hl_port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Wait until HOST PORT answers, at most SECONDS; 0 when it does.
hl_wait_port() {
    local host="$1" port="$2" secs="$3" i
    for ((i = 0; i < secs * 4; i++)); do
        hl_port_open "$host" "$port" && return 0
        sleep 0.25
    done
    return 1
}

# 0 when PID is alive and its command line contains WORD (guards against reused pids).
hl_pid_is() {
    local pid="$1" word="$2"
    [[ -n "$pid" && "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"
}

# Stop the process whose pid is in FILE if its command line contains WORD; remove FILE.
hl_stop_pidfile() {
    local file="$1" word="$2" pid i
    [[ -f "$file" ]] || return 0
    pid="$(cat "$file")"
    if hl_pid_is "$pid" "$word"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$pid" 2>/dev/null; then
            hl_warn "pid $pid ($word) ignored SIGTERM for 10 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

# 64 random hex characters.
hl_random_hex32() {
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# ---------------------------------------------------------------------------------------------
# Rust toolchain
# ---------------------------------------------------------------------------------------------

# rust-toolchain.toml pins 1.95.0. rustup cannot download toolchains on the project's machines; when
# the pinned name is missing but the installed stable is that version, link it under the pinned
# name (no download), and check that rustfmt and clippy are there.
ensure_toolchain() {
    local want have sysroot
    want="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$HL_REPO/rust-toolchain.toml")"
    command -v rustup >/dev/null 2>&1 || return 0 # a plain toolchain on PATH: nothing to link
    if ! rustup toolchain list 2>/dev/null | grep -q "^$want"; then
        have="$(rustc +stable --version 2>/dev/null | awk '{print $2}')"
        if [[ "$have" != "$want" ]]; then
            hl_die "the pinned toolchain $want is not installed and stable is ${have:-missing}; install Rust $want"
            return 1
        fi
        sysroot="$(rustc +stable --print sysroot)"
        hl_log "linking the installed stable ($have) as toolchain $want"
        rustup toolchain link "$want" "$sysroot" >/dev/null || { hl_die "rustup toolchain link failed"; return 1; }
    fi
    local tool
    for tool in rustfmt clippy-driver; do
        (cd "$HL_REPO" && rustup which "$tool" >/dev/null 2>&1) ||
            { hl_die "$tool is missing from toolchain $want (rustup component add rustfmt clippy)"; return 1; }
    done
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

# Split a postgres URL into the server part (scheme://user@host:port) and the database name.
# Query parameters are dropped from the server part.
hl_pg_server_of() {
    local url="$1" rest
    rest="${url#*://}"
    rest="${rest%%\?*}"
    printf '%s://%s\n' "${url%%://*}" "${rest%%/*}"
}
hl_pg_db_of() {
    local url="$1" rest
    rest="${url#*://}"
    rest="${rest%%\?*}"
    if [[ "$rest" == */* && -n "${rest#*/}" ]]; then
        printf '%s\n' "${rest#*/}"
    else
        printf '%s\n' "$HL_DEFAULT_DB_NAME"
    fi
}

# 0 when we can log in to SERVER_URL (no database part) without a password prompt.
hl_pg_can_connect() {
    local server="$1"
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=3 psql -w -X -q -A -t -c 'select 1' "$server/postgres" >/dev/null 2>&1
    else
        local rest hostport
        rest="${server#*://}"
        hostport="${rest##*@}"
        pg_isready -q -t 3 -h "${hostport%:*}" -p "${hostport##*:}" >/dev/null 2>&1
    fi
}

# Newest PostgreSQL bin folder with initdb and pg_ctl (PATH first, then Debian's layout).
hl_pg_bindir() {
    local d
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    # shellcheck disable=SC2012 # version folders: plain names
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] || return 1
    printf '%s\n' "$d"
}

# Run a PostgreSQL server command as a user it accepts (it refuses to run as root).
hl_as_pg_user() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Try the system cluster(s) through Debian's pg_ctlcluster; 0 when the default server answers.
hl_pg_try_system_cluster() {
    command -v pg_ctlcluster >/dev/null 2>&1 || return 1
    [[ "$(id -u)" == 0 || "$(id -un)" == postgres ]] || return 1
    local ver started=0
    # shellcheck disable=SC2012 # version folders: plain names
    for ver in $(ls /etc/postgresql 2>/dev/null | sort -V -r); do
        [[ -d "/etc/postgresql/$ver/main" ]] || continue
        hl_log "starting the system PostgreSQL cluster $ver/main"
        if pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1; then
            started=1
            break
        fi
    done
    ((started)) || return 1
    local i
    for ((i = 0; i < 40; i++)); do
        hl_pg_can_connect "$HL_DEFAULT_PG_SERVER" && return 0
        sleep 0.25
    done
    return 1
}

# Install PostgreSQL from the distribution (root on Debian/Ubuntu only).
# apt-get install PACKAGES when running as root on Debian/Ubuntu; 1 (silently) otherwise.
hl_apt_install() {
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
    hl_log "installing: apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
        { hl_die "apt-get install $* failed"; return 1; }
}

hl_pg_install() {
    hl_apt_install postgresql && return 0
    hl_die "no PostgreSQL found. Install it, then run this again:
    sudo apt-get install -y postgresql      # Debian/Ubuntu
  or point HIRELEDGER_DATABASE_URL at a server you can reach (trust or password in the URL)."
}

# A project-local cluster in $state/pg on 127.0.0.1:$HIRELEDGER_LOCAL_PG_PORT (trust auth).
hl_pg_local_cluster() {
    local state bindir data port log
    state="$(hl_state_dir)"
    data="$state/pg"
    log="$state/pg.log"
    port="${HIRELEDGER_LOCAL_PG_PORT:-5433}"
    bindir="$(hl_pg_bindir)" || return 1

    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 ||
            hl_die "running as root, and there is no 'postgres' user to run a local cluster as" || return 1
        mkdir -p "$data"
        chown postgres: "$data"
        touch "$log" && chown postgres: "$log"
        hl_as_pg_user test -w "$data" ||
            hl_die "user postgres cannot write $data; set HIRELEDGER_STATE_DIR to a folder it can reach" ||
            return 1
    fi

    if [[ ! -f "$data/PG_VERSION" ]]; then
        hl_log "creating a project-local PostgreSQL cluster in $data (port $port, trust auth)"
        mkdir -p "$data"
        chmod 700 "$data"
        hl_as_pg_user "$bindir/initdb" -D "$data" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C >"$state/initdb.log" 2>&1 ||
            { cat "$state/initdb.log" >&2; hl_die "initdb failed (log above)"; return 1; }
        cat >>"$data/postgresql.conf" <<EOF

# project-local cluster (infra/local/lib.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
EOF
    fi

    if ! hl_as_pg_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        hl_log "starting the project-local PostgreSQL on 127.0.0.1:$port (log $log)"
        hl_as_pg_user "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null ||
            { tail -n 20 "$log" >&2; hl_die "pg_ctl start failed (log above)"; return 1; }
    fi
    HL_PG_SERVER_URL="postgres://postgres@127.0.0.1:$port"
    local i
    for ((i = 0; i < 40; i++)); do
        hl_pg_can_connect "$HL_PG_SERVER_URL" && return 0
        sleep 0.25
    done
    hl_die "the project-local PostgreSQL on port $port does not accept connections (see $log)"
}

# Make sure a PostgreSQL server answers; export HIRELEDGER_DATABASE_URL and HL_PG_SERVER_URL.
# Order: HIRELEDGER_DATABASE_URL if set → 127.0.0.1:5432 (trust) → the system cluster via
# pg_ctlcluster → a project-local cluster in $state/pg on port 5433 (installing PostgreSQL with
# apt-get first when there is none and we are root).
ensure_postgres() {
    local db="$HL_DEFAULT_DB_NAME" want=""
    HL_PG_SERVER_URL=""
    if [[ -n "${HIRELEDGER_DATABASE_URL:-}" ]]; then
        want="$(hl_pg_server_of "$HIRELEDGER_DATABASE_URL")"
        db="$(hl_pg_db_of "$HIRELEDGER_DATABASE_URL")"
        if hl_pg_can_connect "$want"; then
            HL_PG_SERVER_URL="$want"
            export HL_PG_SERVER_URL HIRELEDGER_DATABASE_URL
            return 0
        fi
        # Only the two local servers this script knows how to start are worth trying.
        if [[ "$want" == "postgres://postgres@127.0.0.1:${HIRELEDGER_LOCAL_PG_PORT:-5433}" ]]; then
            hl_pg_local_cluster || return 1
            export HL_PG_SERVER_URL HIRELEDGER_DATABASE_URL
            return 0
        elif [[ "$want" != "$HL_DEFAULT_PG_SERVER" ]]; then
            hl_die "HIRELEDGER_DATABASE_URL is set, but $want does not accept connections"
            return 1
        fi
    fi

    if hl_pg_can_connect "$HL_DEFAULT_PG_SERVER"; then
        HL_PG_SERVER_URL="$HL_DEFAULT_PG_SERVER"
    elif ! pg_isready -q -t 2 -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && hl_pg_try_system_cluster; then
        HL_PG_SERVER_URL="$HL_DEFAULT_PG_SERVER"
    else
        if ! hl_pg_bindir >/dev/null; then
            hl_pg_install || return 1
            if hl_pg_can_connect "$HL_DEFAULT_PG_SERVER" || hl_pg_try_system_cluster; then
                HL_PG_SERVER_URL="$HL_DEFAULT_PG_SERVER"
            fi
        fi
        # Also when 5432 answers but refuses password-less logins (Debian's default pg_hba).
        if [[ -z "$HL_PG_SERVER_URL" ]]; then
            hl_pg_local_cluster || return 1
        fi
    fi

    if [[ -n "$want" && "$want" != "$HL_PG_SERVER_URL" ]]; then
        hl_die "HIRELEDGER_DATABASE_URL points at $want, which does not answer (found $HL_PG_SERVER_URL instead; unset the variable to use it)"
        return 1
    fi
    HIRELEDGER_DATABASE_URL="$HL_PG_SERVER_URL/$db"
    export HL_PG_SERVER_URL HIRELEDGER_DATABASE_URL
}

# Stop the project-local cluster, if there is one and it runs (the system cluster is left alone).
stop_local_postgres() {
    local data bindir
    data="$(hl_state_dir)/pg"
    [[ -f "$data/PG_VERSION" ]] || return 0
    bindir="$(hl_pg_bindir)" || return 0
    if hl_as_pg_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        hl_log "stopping the project-local PostgreSQL"
        hl_as_pg_user "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
}

# ---------------------------------------------------------------------------------------------
# Apache Kafka (KRaft, one combined broker + controller node), jars from Maven Central
# ---------------------------------------------------------------------------------------------

# The pinned Kafka version: <kafka.version> in infra/local/kafka/pom.xml.
hl_kafka_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HL_KAFKA_POM" | head -n 1
}
hl_kafka_libs() { printf '%s/tools/kafka-%s/libs\n' "$(hl_cache_dir)" "$(hl_kafka_version)"; }

# A java of version 17 or newer: JAVA_HOME, then PATH, then the JDKs under /usr/lib/jvm.
hl_java_found() {
    local j v
    for j in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null)" /usr/lib/jvm/*/bin/java; do
        [[ -n "$j" && -x "$j" ]] || continue
        v="$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
        if [[ -n "$v" ]] && ((v >= 17)); then
            printf '%s\n' "$j"
            return 0
        fi
    done
    return 1
}

# A java of version 17 or newer, installed from the distribution when there is none (as root).
hl_java() {
    hl_java_found && return 0
    hl_apt_install default-jre-headless && hl_java_found && return 0
    hl_die "Apache Kafka needs Java 17 or newer; none found (Debian: apt-get install -y default-jre-headless)"
}

# Make sure Kafka's jars are in the cache: resolved once from Maven Central with the project's pom
# (mvn dependency:copy-dependencies, ~15 s), into a temporary folder moved in place when complete.
ensure_kafka() {
    local libs
    libs="$(hl_kafka_libs)"
    [[ -f "$libs/.complete" ]] && return 0
    # Maven (which brings a Java runtime on Debian) is installed like PostgreSQL when missing.
    command -v mvn >/dev/null 2>&1 || hl_apt_install maven ||
        { hl_die "Maven (mvn) is needed once to fetch Apache Kafka's jars (Debian: apt-get install -y maven default-jre-headless)"; return 1; }
    mkdir -p "$(dirname "$libs")"
    (
        # One fetch at a time per machine (two shells starting together).
        flock 9
        [[ -f "$libs/.complete" ]] && exit 0
        tmp="$libs.tmp.$$"
        log="$(dirname "$libs")/fetch.log"
        hl_log "fetching Apache Kafka $(hl_kafka_version) from Maven Central into $libs (once per machine)"
        rm -rf "$tmp"
        if ! mvn -B -q -f "$HL_KAFKA_POM" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" -DincludeScope=runtime >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            rm -rf "$tmp"
            hl_die "mvn could not fetch Apache Kafka (full log: $log)"
            exit 1
        fi
        touch "$tmp/.complete"
        rm -rf "$libs"
        mv "$tmp" "$libs"
    ) 9>"$(dirname "$libs")/.lock"
}

# host and port of the first broker in HIRELEDGER_KAFKA_BROKERS.
hl_broker_host() {
    local first="${HIRELEDGER_KAFKA_BROKERS:-127.0.0.1:9092}"
    first="${first%%,*}"
    printf '%s\n' "${first%:*}"
}
hl_broker_port() {
    local first="${HIRELEDGER_KAFKA_BROKERS:-127.0.0.1:9092}"
    first="${first%%,*}"
    printf '%s\n' "${first##*:}"
}

# The last 20 lines a log got since its last "--- " start marker, on stderr.
hl_tail_since_start() {
    awk '/^--- / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1" | tail -n 20 >&2
}

# The broker's configuration from infra/local/kafka/server.properties.in (one node that is broker
# and controller, loopback only, no automatic topic creation).
hl_kafka_write_config() {
    local dir="$1" port="$2" cport="$3"
    sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@LOG_DIR@|$dir/data|g" \
        "$HL_REPO/infra/local/kafka/server.properties.in" >"$dir/server.properties"
}

# Reuse a broker that answers, or start Apache Kafka in the background (pid, log and data in
# $state/kafka). The store is formatted once (`--standalone`); later starts reuse it.
start_broker() {
    local host port cport state dir libs java pid
    host="$(hl_broker_host)"
    port="$(hl_broker_port)"
    cport="${HIRELEDGER_KAFKA_CONTROLLER_PORT:-$((port + 1))}"
    export HIRELEDGER_KAFKA_BROKERS="${HIRELEDGER_KAFKA_BROKERS:-$host:$port}"
    if hl_port_open "$host" "$port"; then
        return 0
    fi
    case "$host" in
        127.0.0.1 | localhost) ;;
        *)
            hl_die "the broker $host:$port does not answer (HIRELEDGER_KAFKA_BROKERS); only a loopback broker is started here"
            return 1
            ;;
    esac

    state="$(hl_state_dir)"
    dir="$state/kafka"
    mkdir -p "$dir/data"
    # A broker of ours that is still starting up (or stuck): stop it before starting anew.
    hl_stop_pidfile "$dir/kafka.pid" kafka.Kafka
    ensure_kafka || return 1
    java="$(hl_java)" || return 1
    libs="$(hl_kafka_libs)"
    hl_kafka_write_config "$dir" "$port" "$cport"
    local log4j="-Dlog4j2.configurationFile=$HL_REPO/infra/local/kafka/log4j2.yaml"

    if [[ ! -f "$dir/data/meta.properties" ]]; then
        hl_log "formatting a single-node KRaft store in $dir/data"
        local cluster_id
        cluster_id="$("$java" "$log4j" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null)"
        "$java" "$log4j" -cp "$libs/*" kafka.tools.StorageTool format --standalone \
            -t "$cluster_id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
            { cat "$dir/format.log" >&2; hl_die "formatting the Kafka store failed (log above)"; return 1; }
    fi

    hl_log "starting Apache Kafka $(hl_kafka_version) on 127.0.0.1:$port (data $dir/data, log $dir/kafka.log)"
    printf -- '--- %s: starting Apache Kafka on 127.0.0.1:%s\n' "$(date -u +%FT%TZ)" "$port" >>"$dir/kafka.log"
    (
        exec setsid "$java" -Xms256m "-Xmx${HIRELEDGER_KAFKA_HEAP:-768m}" -XX:+UseG1GC \
            -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true "$log4j" \
            -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
            </dev/null >>"$dir/kafka.log" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$dir/kafka.pid"

    local i
    for ((i = 0; i < 240; i++)); do
        if hl_port_open 127.0.0.1 "$port"; then
            HL_BROKER_STARTED=1
            export HL_BROKER_STARTED
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            hl_tail_since_start "$dir/kafka.log"
            rm -f "$dir/kafka.pid"
            hl_die "Kafka exited during start-up (log above)"
            return 1
        fi
        sleep 0.25
    done
    hl_tail_since_start "$dir/kafka.log"
    hl_stop_pidfile "$dir/kafka.pid" kafka.Kafka
    hl_die "Kafka did not open port $port within 60 s (log above)"
}

# Stop the broker this project started (a broker someone else runs is left alone).
stop_broker() {
    local file
    file="$(hl_state_dir)/kafka/kafka.pid"
    if [[ -f "$file" ]]; then
        hl_log "stopping Apache Kafka (pid $(cat "$file"))"
        hl_stop_pidfile "$file" kafka.Kafka
    fi
}
