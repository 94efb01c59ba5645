#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on localhost:5672: installs Debian's rabbitmq-server when it is
# missing, starts it in the background when it is not running, and waits until it is ready.
set -euo pipefail

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-rabbitmq: installing rabbitmq-server from apt" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
  echo "ensure-rabbitmq: starting rabbitmq-server in the background" >&2
  # Debian's package may start it as a service where systemd runs; elsewhere (containers, CI) start it by hand.
  as_root bash -c 'nohup rabbitmq-server >/tmp/rabbitmq-server.log 2>&1 &'
fi

as_root timeout 120 rabbitmqctl await_startup >/dev/null
echo "ensure-rabbitmq: RabbitMQ is ready on localhost:5672" >&2
