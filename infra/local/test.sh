#!/usr/bin/env bash
# The one test command (CI runs it too, through .ci/run):
#   toolchain → format check → domain purity → clippy -D warnings → PostgreSQL + broker → cargo test --workspace
#
#   infra/local/test.sh               everything
#   infra/local/test.sh --lint-only   format, domain purity and clippy; no services, no tests
#
# Services: reuses a PostgreSQL and a broker that answer, otherwise starts them (PostgreSQL from
# apt, Apache Kafka from Maven Central; see lib.sh) and leaves them running for the next run (on CI=true a broker started here is stopped at the end).
# The e2e tests get HIRELEDGER_TEST_PG (server URL, no database), HIRELEDGER_TEST_KAFKA, and
# HIRELEDGER_TEST_KAFKA_LIBS / HIRELEDGER_TEST_JAVA for the tests that run a private broker.
# Exits non-zero on the first failure.
set -euo pipefail

# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lint_only=0
case "${1:-}" in
    "") ;;
    --lint-only) lint_only=1 ;;
    -h | --help) sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

cd "$HL_REPO"

cargo_flags=()
if [[ "${CI:-}" == true ]]; then
    cargo_flags+=(--locked) # CI must build exactly what Cargo.lock says
fi

# --- phases with timings ------------------------------------------------------------------------
timings=()
current=""
started_at=$SECONDS
phase() {
    local name="$1" t0=$SECONDS
    shift
    current="$name"
    printf '\n==> %s\n' "$name" >&2
    "$@"
    timings+=("$(printf '  %-16s %5ss' "$name" $((SECONDS - t0)))")
    current=""
}
report() {
    local rc=$?
    if [[ "${CI:-}" == true && "${HL_BROKER_STARTED:-}" == 1 ]]; then
        stop_broker || true
    fi
    {
        echo
        echo "timings:"
        ((${#timings[@]})) && printf '%s\n' "${timings[@]}"
        printf '  %-16s %5ss\n' total $((SECONDS - started_at))
        if ((rc != 0)); then
            echo "FAILED${current:+ in phase: $current} (exit $rc)"
        else
            echo "all checks passed"
        fi
    } >&2
}
trap report EXIT

# --- checks -------------------------------------------------------------------------------------
fmt_check() {
    local color=auto
    [[ -t 1 ]] || color=never # no escape codes in CI logs
    cargo fmt --all -- --check --color "$color"
}

# The domain crate stays free of I/O frameworks: neither its resolved normal dependencies nor its
# own manifest may name these. tokio is tolerated in the tree only because cqrs-es pulls it in.
FORBIDDEN='sqlx|rdkafka|actix-web|actix-ws|ort|postgres-es|reqwest|hyper|aws-sdk-s3'
domain_purity() {
    local tree bad direct
    tree="$(cargo tree "${cargo_flags[@]}" -p hireledger-domain -e normal --prefix none)"
    bad="$(awk '{print $1}' <<<"$tree" | sort -u | grep -E "^($FORBIDDEN)(-|$)" || true)"
    if [[ -n "$bad" ]]; then
        echo "hireledger-domain depends (directly or not) on forbidden crates: ${bad//$'\n'/ }" >&2
        echo "see: cargo tree -p hireledger-domain -e normal -i <crate>" >&2
        return 1
    fi
    # Direct normal dependencies listed in domain/Cargo.toml ([dependencies], [dependencies.x],
    # [target.'…'.dependencies]); dev-dependencies may use anything.
    direct="$(awk '
        /^[[:space:]]*\[/ {
            sec = $0; gsub(/[[:space:]]/, "", sec)
            indeps = (sec ~ /^\[(target\..*\.)?dependencies\]$/)
            if (sec ~ /^\[(target\..*\.)?dependencies\.[^]]+\]$/) {
                name = sec; sub(/^.*dependencies\./, "", name); sub(/\]$/, "", name); print name
            }
            next
        }
        indeps && /^[[:space:]]*[A-Za-z0-9_-]/ {
            name = $0; sub(/^[[:space:]]*/, "", name); sub(/[[:space:]=.].*$/, "", name); print name
        }' domain/Cargo.toml)"
    bad="$(grep -E "^($FORBIDDEN|tokio)(-|$)" <<<"$direct" || true)"
    if [[ -n "$bad" ]]; then
        echo "domain/Cargo.toml lists forbidden dependencies: ${bad//$'\n'/ }" >&2
        return 1
    fi
    echo "hireledger-domain: $(wc -l <<<"$direct") direct, $(awk '{print $1}' <<<"$tree" | sort -u | wc -l) crates in its tree, none forbidden" >&2
}

clippy() { cargo clippy "${cargo_flags[@]}" --workspace --all-targets -- -D warnings; }

services() {
    # HIRELEDGER_TEST_PG / HIRELEDGER_TEST_KAFKA, when set, say which servers the tests must use.
    if [[ -n "${HIRELEDGER_TEST_PG:-}" ]]; then
        export HIRELEDGER_DATABASE_URL="${HIRELEDGER_TEST_PG%/}/hireledger"
    fi
    if [[ -n "${HIRELEDGER_TEST_KAFKA:-}" ]]; then
        export HIRELEDGER_KAFKA_BROKERS="$HIRELEDGER_TEST_KAFKA"
    fi
    ensure_postgres
    start_broker
    export HIRELEDGER_TEST_PG="$HL_PG_SERVER_URL"
    export HIRELEDGER_TEST_KAFKA="$HIRELEDGER_KAFKA_BROKERS"
    # The broker fault tests start a private Kafka of their own from the same jars (so they can
    # stop and kill it without disturbing the shared one).
    ensure_kafka
    HIRELEDGER_TEST_KAFKA_LIBS="$(hl_kafka_libs)"
    HIRELEDGER_TEST_JAVA="$(hl_java)"
    export HIRELEDGER_TEST_KAFKA_LIBS HIRELEDGER_TEST_JAVA
    local how="already running, reused"
    if [[ "${HL_BROKER_STARTED:-}" == 1 ]]; then
        if [[ "${CI:-}" == true ]]; then
            how="started by this run, stopped at the end"
        else
            how="started by this run and left running; stop it with: make stop"
        fi
    fi
    echo "postgres: $HIRELEDGER_TEST_PG" >&2
    echo "broker:   $HIRELEDGER_TEST_KAFKA ($how)" >&2
}

tests() {
    # The crash tests run the real binary as separate processes (and SIGKILL them).
    cargo build "${cargo_flags[@]}" -p hireledger-api --bin hireledger
    cargo test "${cargo_flags[@]}" --workspace --no-fail-fast
}

phase "toolchain" ensure_toolchain
phase "fmt" fmt_check
phase "domain purity" domain_purity
phase "clippy" clippy
if ((lint_only)); then
    exit 0
fi
phase "services" services
phase "tests" tests
