#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on localhost:5672: installs Debian's rabbitmq-server when it is
# missing, starts it in the background when it is not running, and waits until it is ready.
#
# A broker stopped uncleanly (a machine image taken while it ran, a session that ended) rebuilds its queue indices
# at the next boot, and with many durable priority queues (x-max-priority 255: 256 sub-queues each) that can take
# minutes on a cold disk. So the boot gets a long wait that prints its progress, and a node whose boot still has not
# finished after it is stopped, its data directory moved aside (never deleted: the path is printed), and started
# fresh. This is a test broker: the specs declare every queue they use.
set -euo pipefail

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
log=/tmp/rabbitmq-server.log
boot_wait=${RABBITMQ_BOOT_WAIT:-300}

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-rabbitmq: installing rabbitmq-server from apt" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

node_log() { echo "/var/log/rabbitmq/rabbit@$(hostname -s).log"; }
ping_node() { as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
booted() { as_root rabbitmq-diagnostics -q check_running >/dev/null 2>&1; }

start_node() {
  echo "ensure-rabbitmq: starting rabbitmq-server in the background (log: $log, then $(node_log))" >&2
  # Debian's package may start it as a service where systemd runs; elsewhere (containers, CI) start it by hand.
  as_root bash -c "nohup rabbitmq-server >$log 2>&1 &"
  # `rabbitmqctl await_startup` fails at once while the Erlang node is not yet up, so first wait for the
  # node itself to answer a ping (a cold start takes a few seconds, more on a loaded machine).
  for ((i = 0; i < 120; i++)); do
    if ping_node; then return 0; fi
    sleep 1
  done
  echo "ensure-rabbitmq: the Erlang node did not answer within 120 s; its logs follow" >&2
  tail -n 40 "$log" >&2 || true
  as_root tail -n 40 "$(node_log)" >&2 || true
  return 1
}

# Waits up to $1 seconds for the broker app to finish booting, saying every 15 s what the node's log says last.
await_boot() {
  local waited=0
  while ((waited < $1)); do
    if booted; then return 0; fi
    sleep 5
    waited=$((waited + 5))
    if ((waited % 15 == 0)); then
      echo "ensure-rabbitmq: still booting after ${waited} s: $(as_root tail -n 1 "$(node_log)" 2>/dev/null | cut -c1-160)" >&2
    fi
  done
  booted
}

stop_node() {
  as_root timeout 30 rabbitmqctl -q stop >/dev/null 2>&1 || true
  # A node stuck in its boot may not answer `stop`: end its Erlang VM (it runs as the rabbitmq user).
  as_root pkill -9 -u rabbitmq -f beam >/dev/null 2>&1 || true
  for ((i = 0; i < 30; i++)); do
    if ! ping_node; then return 0; fi
    sleep 1
  done
}

started=0
if ! ping_node; then
  started=1
  start_node
fi

# A node that was already up with its app stopped (say, a broker-restart spec interrupted between stop_app
# and start_app) answers pings but never finishes starting on its own. A node just started is left to boot.
if [[ $started -eq 0 ]] && ! booted && ! as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
  echo "ensure-rabbitmq: the node runs but the broker app does not: starting it" >&2
  as_root rabbitmqctl -q start_app >/dev/null
fi

if ! await_boot "$boot_wait"; then
  echo "ensure-rabbitmq: the broker did not finish booting within ${boot_wait} s; the end of its log:" >&2
  as_root tail -n 20 "$(node_log)" >&2 || true
  data=/var/lib/rabbitmq/mnesia
  aside="$data.stuck-$(date +%Y%m%d-%H%M%S)"
  echo "ensure-rabbitmq: stopping it, moving its data directory to $aside and starting it fresh" >&2
  stop_node
  as_root mv "$data" "$aside"
  start_node
  if ! await_boot "$boot_wait"; then
    echo "ensure-rabbitmq: a fresh broker did not boot within ${boot_wait} s either; the end of its log:" >&2
    as_root tail -n 40 "$(node_log)" >&2 || true
    exit 1
  fi
fi

# The broker's own statistics (basic.get counts per queue) are read through its management API by specs and the bench.
if ! as_root rabbitmq-plugins is_enabled rabbitmq_management >/dev/null 2>&1; then
  echo "ensure-rabbitmq: enabling rabbitmq_management (statistics on localhost:15672)" >&2
  as_root rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
fi
echo "ensure-rabbitmq: RabbitMQ is ready on localhost:5672" >&2
