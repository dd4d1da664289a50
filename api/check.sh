#!/usr/bin/env bash
# Checks that the public API of each library crate is the one listed in
# api/*.txt, so that every change to the semver promise shows in review.
#
#   bash api/check.sh           regenerate the listings and diff them (CI)
#   bash api/check.sh --bless   rewrite api/*.txt after a deliberate change
#
# The listings come from rustdoc's JSON output (api/listing.py). On stable Rust
# that output needs RUSTC_BOOTSTRAP=1, which changes the fingerprint of every
# dependency: the builds go to a directory of their own, <target dir>/api, so
# that the next ordinary cargo command does not rebuild everything.
set -euo pipefail
cd "$(dirname "$0")/.."

bless=false
case "${1:-}" in
  --bless) bless=true ;;
  "") ;;
  *) echo "usage: bash api/check.sh [--bless]" >&2; exit 2 ;;
esac

# What each listing covers: a crate's default features plus the ones an app
# turns on (actix-identity interop). test-support is part of the promise too
# (apps use it in their tests): listed apart, as what it adds.
declare -A features=(
  [multi-account]=migration,openapi
  [multi-account-derive]=""
  [multi-account-actix]=identity
  [multi-account-axum]=""
)
test_support=(multi-account multi-account-actix multi-account-axum)

target=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export CARGO_TARGET_DIR="$target/api"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The rustdoc JSON of one crate with some features, as $out/<variant>/<crate>.json.
# One cargo command a crate: with several -p, cargo 1.95 ignores `crate/feature`
# for all but one of them.
rustdoc_json() { # variant crate features
  local variant=$1 crate=$2 features=$3
  local json="$CARGO_TARGET_DIR/doc/${crate//-/_}.json"
  # Both variants write the same file, and cargo does not rerun rustdoc for a
  # variant it thinks fresh: make it rerun, and check that it did.
  rm -f "$json" "$CARGO_TARGET_DIR"/debug/.fingerprint/"$crate"-*/doc-lib-*
  RUSTC_BOOTSTRAP=1 cargo rustdoc --quiet -p "$crate" --lib ${features:+--features "$features"} \
    -- -Z unstable-options --output-format json --document-hidden-items
  [ -f "$json" ] || { echo "api/check.sh: cargo rustdoc did not write $json" >&2; exit 1; }
  mkdir -p "$out/$variant"
  mv "$json" "$out/$variant/$crate.json"
}

for crate in multi-account multi-account-derive multi-account-actix multi-account-axum; do
  rustdoc_json default "$crate" "${features[$crate]}"
done
for crate in "${test_support[@]}"; do
  rustdoc_json test-support "$crate" "${features[$crate]:+${features[$crate]},}test-support"
done

listing() { python3 api/listing.py "$@"; }
d=$out/default t=$out/test-support
mkdir -p "$out/new"
listing "$d/multi-account.json" --extern "$d/multi-account-derive.json" \
  --label "The public API of multi-account, features: migration, openapi" >"$out/new/multi-account.txt"
listing "$d/multi-account-derive.json" \
  --label "The public API of multi-account-derive" >"$out/new/multi-account-derive.txt"
listing "$d/multi-account-actix.json" --extern "$d/multi-account.json" \
  --label "The public API of multi-account-actix, features: identity" >"$out/new/multi-account-actix.txt"
listing "$d/multi-account-axum.json" --extern "$d/multi-account.json" \
  --label "The public API of multi-account-axum, default features" >"$out/new/multi-account-axum.txt"
for crate in "${test_support[@]}"; do
  extern=()
  [ "$crate" = multi-account ] || extern=(--extern "$t/multi-account.json")
  listing "$t/$crate.json" --minus "$d/$crate.json" "${extern[@]}" \
    --label "What feature test-support adds to $crate.txt" >"$out/new/$crate.test-support.txt"
done

changed=false
for file in "$out"/new/*.txt; do
  name=$(basename "$file")
  if $bless; then
    cp "$file" "api/$name"
  elif ! diff -u --label "api/$name" --label "api/$name (now)" "api/$name" "$file" 2>/dev/null; then
    [ -f "api/$name" ] || echo "api/$name is missing"
    changed=true
  fi
done
if $bless; then
  echo "api/check.sh: rewrote $(ls "$out"/new | wc -l) listings in api/: review them with git diff"
elif $changed; then
  echo "the public API changed: review it and run \`bash api/check.sh --bless\`" >&2
  exit 1
else
  echo "api/check.sh: the public API matches api/*.txt"
fi
