#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on localhost:5672: installs Debian's rabbitmq-server when it is
# missing, starts it in the background when it is not running, and waits until it is ready.
set -euo pipefail

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
log=/tmp/rabbitmq-server.log

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-rabbitmq: installing rabbitmq-server from apt" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

started=0
if ! as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  started=1
  echo "ensure-rabbitmq: starting rabbitmq-server in the background (log: $log)" >&2
  # Debian's package may start it as a service where systemd runs; elsewhere (containers, CI) start it by hand.
  as_root bash -c "nohup rabbitmq-server >$log 2>&1 &"
  # `rabbitmqctl await_startup` fails at once while the Erlang node is not yet up, so first wait for the
  # node itself to answer a ping (a cold start takes a few seconds, more on a loaded machine).
  for ((i = 0; i < 120; i++)); do
    if as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; then break; fi
    sleep 1
  done
  if ! as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    echo "ensure-rabbitmq: the broker did not come up within 120 s; its log follows" >&2
    tail -n 40 "$log" >&2 || true
    exit 1
  fi
fi

# A node that was already up with its app stopped (say, a broker-restart spec interrupted between stop_app
# and start_app) answers pings but never finishes starting on its own. A node just started is left to boot.
if [[ $started -eq 0 ]] && ! as_root rabbitmq-diagnostics -q check_running >/dev/null 2>&1 && ! as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
  echo "ensure-rabbitmq: the node runs but the broker app does not: starting it" >&2
  as_root rabbitmqctl -q start_app >/dev/null
fi

as_root timeout 120 rabbitmqctl await_startup >/dev/null
# The broker's own statistics (basic.get counts per queue) are read through its management API by specs and the bench.
if ! as_root rabbitmq-plugins is_enabled rabbitmq_management >/dev/null 2>&1; then
  echo "ensure-rabbitmq: enabling rabbitmq_management (statistics on localhost:15672)" >&2
  as_root rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
fi
echo "ensure-rabbitmq: RabbitMQ is ready on localhost:5672" >&2
