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

if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
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

as_root timeout 120 rabbitmqctl await_startup >/dev/null
echo "ensure-rabbitmq: RabbitMQ is ready on localhost:5672" >&2
