#!/usr/bin/env bash
# Starts the release build of kassa for the end-to-end journeys: a fresh SQLite database in
# .kassa-e2e/, the demo organization (its JSON in .kassa-e2e/demo.json for the specs), and
# the server's log in .kassa-e2e/kassa.log. Beside it, the Stripe double (the `stripe_double`
# example, built by scripts/test) plays Stripe for the merchants that set Stripe up; kassa is
# pointed at it. An SMTP server (Python's aiosmtpd, installed by scripts/setup) takes the mail kassa
# sends buyers and keeps it in .kassa-e2e/mail/ (a Maildir) for the specs to read. All stop when
# this script is stopped.
set -euo pipefail
cd "$(dirname "$0")"
state="$PWD/.kassa-e2e"
rm -rf "$state"
mkdir -p "$state"
kassa=../target/release/kassa
double=../target/debug/examples/stripe_double
for binary in "$kassa" "$double"; do
  if [ ! -x "$binary" ]; then
    echo "end2end: $binary is missing; run 'cargo leptos build --release' and 'cargo build --example stripe_double' first" >&2
    exit 1
  fi
done
"$double" --addr "127.0.0.1:${KASSA_E2E_STRIPE_PORT:-0}" > "$state/stripe.json" 2>> "$state/stripe.log" &
double_pid=$!
smtp_port="${KASSA_E2E_SMTP_PORT:-3125}"
../target/sdk-python/bin/python -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
  -c aiosmtpd.handlers.Mailbox "$state/mail" 2>> "$state/smtp.log" &
smtp_pid=$!
trap 'kill "$double_pid" "$smtp_pid" "${kassa_pid:-}" 2>/dev/null || true' EXIT INT TERM
export KASSA_SMTP_URL="smtp://127.0.0.1:$smtp_port"
for _ in $(seq 50); do
  [ -s "$state/stripe.json" ] && break
  sleep 0.1
done
export KASSA_STRIPE_API_BASE
KASSA_STRIPE_API_BASE=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$state/stripe.json")
export KASSA_DATABASE_URL="sqlite://$state/kassa.db"
export KASSA_ADDR="127.0.0.1:${KASSA_E2E_PORT:-3107}"
export KASSA_SITE_ROOT="$PWD/../target/site"
export KASSA_LOG="${KASSA_LOG:-info}"
# Every journey pays from this one address: the card-testing limit per address would stop them.
export KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS=0
# The journeys' webhook receiver listens on this machine.
export KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES=true
# /metrics on the public listener, behind a token (the audit's metrics spec scrapes it).
export KASSA_METRICS_TOKEN="${KASSA_E2E_METRICS_TOKEN:-end-to-end-metrics-token}"
# The operator's key for sealing merchants' Stripe keys (a fixed one: these databases are thrown
# away after each run).
export KASSA_ENCRYPTION_KEY="ZTJlLWtleS1mb3Ita2Fzc2EtZW5kLXRvLWVuZC10ZXM="
"$kassa" demo > "$state/demo.json" 2>> "$state/kassa.log"
"$kassa" serve 2>> "$state/kassa.log" &
kassa_pid=$!
wait "$kassa_pid"
