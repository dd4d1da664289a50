#!/usr/bin/env bash
# Fuzzes the demo's JSON API with schemathesis (PyPI, 4.x), bounded: for each
# framework given (default: actix axum), starts the demo binary on a fresh
# SQLite file and a free port, then runs schemathesis against the OpenAPI
# document the demo serves, in one browser session holding three accounts
# (see hooks.py for how that session is kept live as the run changes it).
#
# Checks: all of schemathesis's (no 5xx, every status documented, every body
# of the documented type and schema, the documented headers, a missing
# X-CSRF-Token refused, the session cookie enforced, invalid data refused, 405
# with Allow for other methods, ..) but positive_data_acceptance: a request
# valid by the schema is still refused by the session's state (a spent token,
# an account outside the group), by design. And hooks.py's: no write on a
# refusal, and the run reached a success of each state change (else it fuzzed
# nothing but refusals). Any failure fails the script, with schemathesis's
# report and the end of the demo's log.
#
#   bash examples/demo/tests/schemathesis/run.sh [actix] [axum]
#
# Environment: DEMO_BIN (default <target dir>/debug/multi-account-demo, built
# by `cargo test` or `cargo build -p multi-account-demo`),
# SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 150),
# SCHEMATHESIS_SEED (default fixed, for a reproducible run; "random" for a new
# one each time), SCHEMATHESIS_TIMEOUT (seconds per framework, default 150).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)

target=${CARGO_TARGET_DIR:-$repo/target}
bin=${DEMO_BIN:-$target/debug/multi-account-demo}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-150}
seed=${SCHEMATHESIS_SEED:-20261206}
time_limit=${SCHEMATHESIS_TIMEOUT:-150}
frameworks=("$@")
[ ${#frameworks[@]} -gt 0 ] || frameworks=(actix axum)

fail() { printf 'schemathesis run: %s\n' "$*" >&2; exit 1; }
[ -x "$bin" ] || fail "no demo binary at $bin (build it: cargo build -p multi-account-demo)"
command -v schemathesis >/dev/null || fail "schemathesis is not installed (pip install schemathesis)"

seed_args=(--seed "$seed")
[ "$seed" = random ] && seed_args=()

demo_pid=
work=
cleanup() {
  if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
  demo_pid= work=
}
trap cleanup EXIT

for framework in "${frameworks[@]}"; do
  work=$(mktemp -d)
  : >"$work/demo.out"
  # A port of its own (0): the demo prints the address it bound.
  env -u REDIS_URL -u PORT DATABASE_URL="sqlite://$work/demo.sqlite?mode=rwc" RUST_LOG=warn \
    "$bin" --framework "$framework" --port 0 >"$work/demo.out" 2>"$work/demo.log" &
  demo_pid=$!
  url=
  for _ in $(seq 1 100); do
    url=$(sed -nE 's|.*running at (http://[0-9.:]+).*|\1|p' "$work/demo.out" | head -1)
    [ -n "$url" ] && break
    kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; fail "the demo ($framework) exited"; }
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$work/demo.log" >&2; fail "the demo ($framework) did not start"; }
  echo "schemathesis against the demo on $framework at $url (max $max_examples examples per operation and phase)"

  started=$(date +%s)
  status=0
  # From the work directory: schemathesis leaves nothing in the repository.
  (
    cd "$work"
    DEMO_URL=$url DEMO_DB="$work/demo.sqlite" PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks \
      timeout "$time_limit" schemathesis --no-color run "$url/link/api/openapi.json" \
      --url "$url" \
      --workers 1 \
      --phases coverage,fuzzing \
      --max-examples "$max_examples" \
      "${seed_args[@]}" \
      --generation-database none \
      --checks all --exclude-checks positive_data_acceptance \
      --request-timeout 30
  ) || status=$?
  echo "schemathesis on $framework: exit $status after $(( $(date +%s) - started ))s"
  if [ "$status" -ne 0 ]; then
    echo "--- the end of the demo's log ($framework) ---" >&2
    tail -40 "$work/demo.log" >&2
    [ "$status" -eq 124 ] && fail "schemathesis on $framework ran over ${time_limit}s"
    fail "schemathesis on $framework found failures (exit $status)"
  fi
  cleanup
done
echo "schemathesis: no failures on ${frameworks[*]}"
