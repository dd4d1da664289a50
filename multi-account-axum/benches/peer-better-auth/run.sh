#!/usr/bin/env bash
# The peer benchmark (see src/main.rs): better-auth's multi-session plugin and
# our axum adapter in one run, on SQLite in memory and, when
# MULTI_ACCOUNT_TEST_POSTGRES_URL is set, on PostgreSQL.
#
#   MULTI_ACCOUNT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
#     bash multi-account-axum/benches/peer-better-auth/run.sh
#
# better-auth links the system ICU (Debian's libicu-dev, ICU 72); its build
# needs the ICU version and library directory spelled out. A release build of
# its own workspace: the first one takes ~20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"

if ! ls /usr/lib/x86_64-linux-gnu/libicuuc.so >/dev/null 2>&1; then
  echo "peer bench: the system ICU is missing (apt-get install -y libicu-dev)" >&2
  exit 1
fi
export RUST_ICU_MAJOR_VERSION_NUMBER="${RUST_ICU_MAJOR_VERSION_NUMBER:-72}"
export RUST_ICU_LINK_SEARCH_DIR="${RUST_ICU_LINK_SEARCH_DIR:-/usr/lib/x86_64-linux-gnu}"
cargo run --release --locked -q
