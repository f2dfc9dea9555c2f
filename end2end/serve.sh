#!/usr/bin/env bash
# Starts the release build of kassa for the end-to-end journeys: a fresh SQLite database in
# .kassa-e2e/, the demo organization (its JSON in .kassa-e2e/demo.json for the specs), and
# the server's log in .kassa-e2e/kassa.log.
set -euo pipefail
cd "$(dirname "$0")"
state="$PWD/.kassa-e2e"
rm -rf "$state"
mkdir -p "$state"
kassa=../target/release/kassa
if [ ! -x "$kassa" ]; then
  echo "end2end: $kassa is missing; run 'cargo leptos build --release' first" >&2
  exit 1
fi
export KASSA_DATABASE_URL="sqlite://$state/kassa.db"
export KASSA_ADDR="127.0.0.1:${KASSA_E2E_PORT:-3107}"
export KASSA_SITE_ROOT="$PWD/../target/site"
export KASSA_LOG="${KASSA_LOG:-info}"
# Every journey pays from this one address: the card-testing limit per address would stop them.
export KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS=0
"$kassa" demo > "$state/demo.json" 2>> "$state/kassa.log"
exec "$kassa" serve 2>> "$state/kassa.log"
