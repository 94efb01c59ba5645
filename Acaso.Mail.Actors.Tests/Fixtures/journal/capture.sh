#!/usr/bin/env bash
# Writes the journal fixtures of one build of the service: runs that build (a path to its Acaso.Mail.Actors.dll)
# as a single node for a minute of windows every 2 s, on SQLite and then on PostgreSQL, and keeps the journal and
# snapshot rows it wrote, cut back to the moment a token was in flight (a node stopped mid-send). Usage:
#   capture.sh <Acaso.Mail.Actors.dll> <label>       (label: the build's commit, such as 2f98441)
# It needs the broker and PostgreSQL of scripts/test.sh (scripts/ensure-rabbitmq.sh, scripts/ensure-postgres.sh).
set -euo pipefail
dll=$1
label=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
export QUEUE_SERVICE_URL=amqp://guest:guest@localhost:5672/%2f MAIL_QUEUE_NAME="fixture-$label-$RANDOM"
# Its durable priority queues are deleted at the end: each one left behind slows every later boot of the broker.
drop_queues() { for q in "$MAIL_QUEUE_NAME" "$MAIL_QUEUE_NAME.inbox" "$MAIL_QUEUE_NAME.dead-letters"; do rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true; done; }
trap 'rm -rf "$work"; drop_queues' EXIT
export MAIL_HOURLY_CRON="0/2 * * * * ?" SENDINBLUE_MAILS_PER_HOUR=6 MAIL_DAILY_LIMIT=300 MAIL_METRICS_PORT=$((16000 + RANDOM % 9000))
export MAIL_TIMEZONE=UTC MAIL_DURABLE_INBOX=false

run_node() { # state dir; runs the node for 40 s with 60 mails waiting, then stops it with kill -9
  MAIL_STATE_DIR=$1 dotnet "$dll" publish --count 60 >/dev/null
  MAIL_STATE_DIR=$1 dotnet "$dll" run >"$1/node.log" 2>&1 &
  local pid=$!
  sleep 40
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
}

# SQLite: the journal file itself, its rows after the last one with a token in flight deleted.
mkdir -p "$work/sqlite"
run_node "$work/sqlite"
sqlite3 "$work/sqlite/acaso-mail.db" "
  DELETE FROM journal WHERE ordering > (SELECT max(ordering) FROM journal WHERE CAST(message AS TEXT) LIKE '%\"Leases\":{%\"\$values\":[\"%' OR CAST(message AS TEXT) LIKE '%\"leases\":[\"%' OR manifest = 'token-leased-v1');
  DELETE FROM snapshot WHERE sequence_number > (SELECT max(sequence_number) FROM journal);"
cp "$work/sqlite/acaso-mail.db" "$here/$label.sqlite.db"

# PostgreSQL: the same, dumped as INSERTs (schema included) from a database of its own.
db="fixture_${label//[^a-zA-Z0-9]/_}_$RANDOM"
PGPASSWORD=acaso psql -h localhost -U acaso -d postgres -qc "CREATE DATABASE $db"
mkdir -p "$work/pg"
MAIL_DATABASE_URL="postgresql://acaso:acaso@localhost:5432/$db" run_node "$work/pg"
PGPASSWORD=acaso psql -h localhost -U acaso -d "$db" -qc "
  DELETE FROM journal WHERE ordering > (SELECT max(ordering) FROM journal WHERE convert_from(message, 'UTF8') LIKE '%\"Leases\":{%\"\$values\":[\"%' OR convert_from(message, 'UTF8') LIKE '%\"leases\":[\"%' OR manifest = 'token-leased-v1');
  DELETE FROM snapshot WHERE sequence_number > (SELECT max(sequence_number) FROM journal);"
PGPASSWORD=acaso pg_dump -h localhost -U acaso --inserts --no-owner --no-privileges -t journal -t snapshot -t tags "$db" \
  | grep -v '^SET \|^SELECT pg_catalog.set_config\|^--\|^\\restrict\|^\\unrestrict' | sed '/^$/N;/^\n$/D' >"$here/$label.postgres.sql"
PGPASSWORD=acaso psql -h localhost -U acaso -d postgres -qc "DROP DATABASE $db WITH (FORCE)"
echo "capture: wrote $here/$label.sqlite.db and $here/$label.postgres.sql" >&2
