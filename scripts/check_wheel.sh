#!/usr/bin/env bash
# Build the wheel, install it (not editable) in a fresh virtual environment outside the checkout,
# and run `seqmbo tasks` and the built-in default task from it: the wheel must work on its own.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
if [ -n "${SEQMBO_DATA_DIR:-}" ] && [ -d "$SEQMBO_DATA_DIR" ]; then  # relative to where we started
  SEQMBO_DATA_DIR="$(cd "$SEQMBO_DATA_DIR" && pwd)"; export SEQMBO_DATA_DIR
fi
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
. "$tmp/venv/bin/activate"
pip install -q torch==2.13.0
pip wheel -q --no-deps -w "$tmp/dist" "$root"
pip install -q "$tmp"/dist/seqmbo-*.whl
cd "$tmp"
seqmbo --version
seqmbo tasks
seqmbo design --out "$tmp/run" --quiet
test -s "$tmp/run/candidates.csv" && test -s "$tmp/run/metrics.json"
echo "wheel check: ok"
