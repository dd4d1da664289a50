#!/usr/bin/env bash
# Load run over real HTTP on loopback against the demo's home page (GET /):
# requests per second for a signed-in single-account session vs a six-account
# session (primary + 5 links, the demo's max_linked_accounts), in the same run,
# printed as a ratio.
#
#   bash multi-account-actix/benches/load_run.sh            # defaults below
#   DURATION=20 ROUNDS=3 CONNECTIONS=32 bash multi-account-actix/benches/load_run.sh
#
# Builds the demo in release, starts it on 127.0.0.1:$PORT with a throwaway
# SQLite file, adds three active users (the demo seeds three active ones; six
# are needed), signs in through the real password form with curl, adds five
# accounts through the real link flow, then runs wrk on both sessions, rounds
# interleaved (single, six, single, six, ...). Only loopback is contacted; every
# wrk run is bounded by DURATION; the demo is stopped on exit.
# Needs: wrk (apt-get install -y wrk), curl, sqlite3.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT="${PORT:-4173}"
DURATION="${DURATION:-10}"      # seconds per wrk run
ROUNDS="${ROUNDS:-3}"           # runs per session, interleaved
THREADS="${THREADS:-2}"         # wrk threads
CONNECTIONS="${CONNECTIONS:-16}"
PERF_DIR="${PERF_DIR:-}"        # set: `perf record` the demo during each wrk run, into this folder
BASE="http://127.0.0.1:$PORT"
PASSWORD=password               # multi_account_demo::DEMO_PASSWORD

for tool in wrk curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "load_run: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
done

echo "==> building the demo (release)"
cargo build --release -q -p multi-account-demo
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
DEMO="$TARGET_DIR/release/multi-account-demo"

WORK="$(mktemp -d)"
DEMO_PID=""
cleanup() {
  if [ -n "$DEMO_PID" ]; then kill "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> starting the demo on $BASE (SQLite file in $WORK, one worker per core, logging off)"
DATABASE_URL="sqlite://$WORK/demo.sqlite?mode=rwc" \
MULTI_ACCOUNT_DEMO_SECRET="load-run-secret-load-run-secret-load-run-secret-load-run-secret-0123" \
RUST_LOG=warn \
  "$DEMO" --port "$PORT" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE/" 2>/dev/null && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$WORK/demo.log" >&2; echo "load_run: the demo exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/" || { cat "$WORK/demo.log" >&2; exit 1; }

# Three more active users with the demo password (alice's Argon2 hash).
sqlite3 "$WORK/demo.sqlite" <<'SQL'
INSERT INTO users (name, email, password_hash, status)
  SELECT 'Erin Evans', 'erin@example.com', password_hash, 'active' FROM users WHERE email = 'alice@example.com';
INSERT INTO users (name, email, password_hash, status)
  SELECT 'Frank Fox', 'frank@example.com', password_hash, 'active' FROM users WHERE email = 'alice@example.com';
INSERT INTO users (name, email, password_hash, status)
  SELECT 'Grace Green', 'grace@example.com', password_hash, 'active' FROM users WHERE email = 'alice@example.com';
SQL

# curl with a cookie jar; prints the body (or, with -o, the headers).
http() { local jar=$1; shift; curl -sS -b "$jar" -c "$jar" "$@"; }
unescape() { sed 's/&#x2f;/\//g; s/&#x27;/'"'"'/g; s/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'; }
urldecode() { local s="${1//+/ }"; printf '%b' "${s//%/\\x}"; }
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1 | unescape; }
location_of() { tr -d '\r' | sed -n 's/^[Ll]ocation: //p' | head -n1; }
accounts_on_home() { grep -c '<li class="account' || true; }

# sign_in JAR EMAIL [RETURN_TO]: the real password form (CSRF included).
sign_in() {
  local jar=$1 email=$2 return_to=${3:-} page token
  if [ -n "$return_to" ]; then page="$(http "$jar" "$BASE/sign-in?return_to=$return_to")"; else page="$(http "$jar" "$BASE/sign-in")"; fi
  token="$(printf '%s' "$page" | csrf_of)"
  [ -n "$token" ] || { echo "load_run: no CSRF token on the sign-in page" >&2; exit 1; }
  local status
  status="$(http "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=$email" --data-urlencode "password=$PASSWORD" --data-urlencode "return_to=$return_to" \
    "$BASE/sign-in")"
  [ "$status" = 303 ] || { echo "load_run: signing in as $email answered $status" >&2; exit 1; }
}

# add_account JAR EMAIL: "Add another account" → sign in → auto-submit link page.
add_account() {
  local jar=$1 email=$2 form add add_token sign_in_path return_to page token status
  # The "Add another account" form: its action and CSRF field (the lines before its button).
  form="$(http "$jar" "$BASE/" | grep -B3 'id="add-account"')"
  add="$(printf '%s' "$form" | sed -n 's/.*<form[^>]*action="\([^"]*\)".*/\1/p' | tail -n1 | unescape)"
  add_token="$(printf '%s' "$form" | csrf_of)"
  [ -n "$add" ] && [ -n "$add_token" ] || { echo "load_run: no add-account form on the home page" >&2; exit 1; }
  sign_in_path="$(http "$jar" -o /dev/null -D - --data-urlencode "csrf_token=$add_token" "$BASE$add" | location_of)"
  return_to="$(urldecode "${sign_in_path#*return_to=}")"
  sign_in "$jar" "$email" "$return_to"
  page="$(http "$jar" "$BASE$return_to")"
  token="$(printf '%s' "$page" | csrf_of)"
  [ -n "$token" ] || { echo "load_run: no auto-submit form for $email" >&2; exit 1; }
  status="$(http "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$token" "$BASE$return_to")"
  [ "$status" = 303 ] || { echo "load_run: linking $email answered $status" >&2; exit 1; }
}

SINGLE="$WORK/single.jar"
SIX="$WORK/six.jar"
echo "==> signing in: one session as alice; one with alice + 5 linked accounts"
sign_in "$SINGLE" alice@example.com
sign_in "$SIX" alice@example.com
for email in bob@example.com carol@example.com erin@example.com frank@example.com grace@example.com; do
  add_account "$SIX" "$email"
done

cookie_of() { awk '$6 == "multi_account_demo" { print $7 }' "$1" | tail -n1; }
check_session() { # jar expected-accounts name
  local jar=$1 expected=$2 name=$3 cookie headers body count
  cookie="$(cookie_of "$jar")"
  headers="$(curl -sS -D - -o "$WORK/page.html" -H "Cookie: multi_account_demo=$cookie" "$BASE/")"
  count="$(accounts_on_home <"$WORK/page.html")"
  [ "$count" = "$expected" ] || { echo "load_run: $name session shows $count accounts, expected $expected" >&2; exit 1; }
  if printf '%s' "$headers" | grep -qi '^set-cookie'; then
    echo "load_run: GET / rewrites the $name session cookie; wrk would not be steady" >&2; exit 1
  fi
  echo "    $name: $count account(s) in the switcher, $(wc -c <"$WORK/page.html") bytes, no Set-Cookie"
}
check_session "$SINGLE" 1 single
check_session "$SIX" 6 six-account

# wrk_rps JAR NAME: requests/s of GET / with that session's cookie (profiled
# into $PERF_DIR/NAME.data when PERF_DIR is set).
wrk_rps() {
  local cookie out perf_pid=""
  cookie="$(cookie_of "$1")"
  if [ -n "$PERF_DIR" ]; then
    mkdir -p "$PERF_DIR"
    perf record -q -F 499 -p "$DEMO_PID" -o "$PERF_DIR/$2.data" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
  fi
  local cpu_before; cpu_before="$(demo_cpu_ticks)"
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: multi_account_demo=$cookie" "$BASE/")"
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  printf '%s\n' "$out" >>"$WORK/wrk.log"
  if printf '%s' "$out" | grep -q 'Non-2xx'; then echo "load_run: non-2xx responses" >&2; printf '%s\n' "$out" >&2; exit 1; fi
  # The demo's own CPU per request (user + system, all its threads), in µs.
  local ticks requests; ticks=$(( $(demo_cpu_ticks) - cpu_before ))
  requests="$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')"
  awk -v t="$ticks" -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f\n", t / hz * 1e6 / r }' >>"$WORK/cpu.log"
  printf '%s\n' "$out" | awk '/Requests\/sec/ { print $2 }'
}
# utime + stime of the demo process (clock ticks), fields 14 and 15 of /proc/PID/stat.
demo_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$DEMO_PID/stat"; }
cpu_of_last() { tail -n1 "$WORK/cpu.log"; }
p50_of_last() { awk '/Latency Distribution/ { getline; p50 = $2 } END { print p50 }' "$WORK/wrk.log"; }

echo "==> wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS interleaved rounds per session"
declare -a single_rps six_rps single_cpu six_cpu
for round in $(seq 1 "$ROUNDS"); do
  r="$(wrk_rps "$SINGLE" "single-$round")"; single_rps+=("$r"); s_p50="$(p50_of_last)"; s_cpu="$(cpu_of_last)"
  r6="$(wrk_rps "$SIX" "six-$round")"; six_rps+=("$r6"); m_p50="$(p50_of_last)"; m_cpu="$(cpu_of_last)"
  single_cpu+=("$s_cpu"); six_cpu+=("$m_cpu")
  printf '    round %s: single %8.1f req/s (p50 %s, demo CPU %s µs/req)   six-account %8.1f req/s (p50 %s, demo CPU %s µs/req)\n' \
    "$round" "$r" "$s_p50" "$s_cpu" "$r6" "$m_p50" "$m_cpu"
done

mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
single_mean="$(mean "${single_rps[@]}")"
six_mean="$(mean "${six_rps[@]}")"
echo
echo "| session | requests/s (mean of $ROUNDS) | ratio to single |"
echo "|---|---:|---:|"
echo "| single account | $single_mean | 1.00 |"
echo "| six accounts | $six_mean | $(awk -v a="$six_mean" -v b="$single_mean" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "demo CPU per request: single $(mean "${single_cpu[@]}") µs, six accounts $(mean "${six_cpu[@]}") µs"
echo "six-account / single-account throughput: $(awk -v a="$six_mean" -v b="$single_mean" 'BEGIN { printf "%.2f", a / b }')"
