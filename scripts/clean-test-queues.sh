#!/usr/bin/env bash
# Deletes the queues the specs and the bench leave behind when a run is interrupted: their names end in a 32-digit hex
# id (and .inbox or .dead-letters). Durable ones would survive every broker restart, and a node with many durable
# priority queues boots slowly. The journal fixtures' capture.sh names its queues fixture-*. Names the service or a
# producer uses never have these shapes.
set -euo pipefail
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
leftovers=$(as_root rabbitmqctl -q list_queues name --no-table-headers 2>/dev/null | grep -E -- '-[0-9a-f]{32}(\.inbox|\.dead-letters)?$|^fixture-' || true)
count=0
for queue in $leftovers; do
  as_root rabbitmqctl -q delete_queue "$queue" >/dev/null 2>&1 || true
  count=$((count + 1))
done
if ((count > 0)); then echo "clean-test-queues: deleted $count queue(s) left by an earlier run" >&2; fi
