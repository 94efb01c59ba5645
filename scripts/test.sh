#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with the .NET 10 SDK: starts (installing when missing) the
# RabbitMQ broker and the PostgreSQL server the tests need, installs Prometheus and promtool when missing, then
# runs the solution's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
scripts/clean-test-queues.sh
# The cluster specs share a PostgreSQL database between their nodes (Debian's postgresql, role acaso).
scripts/ensure-postgres.sh
# promtool checks the alert rules and a real Prometheus scrapes the service (Debian's prometheus package).
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "test.sh: installing prometheus from apt" >&2
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
fi
# The durability specs cut the broker off with iptables (a silent partition on loopback).
if ! command -v iptables >/dev/null 2>&1; then
  echo "test.sh: installing iptables from apt" >&2
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null
fi
# The TLS cluster specs make their certificates with openssl.
if ! command -v openssl >/dev/null 2>&1; then
  echo "test.sh: installing openssl from apt" >&2
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi
dotnet test Acaso.Mail.sln --filter "Isolation!=BrokerRestart&Isolation!=Upgrade" "$@"
# A rolling upgrade from the oldest commit it must work from (scripts/upgrade-from) to this build.
scripts/upgrade-check.sh "$(cat scripts/upgrade-from)" --no-build "$@"
# The broker-restart specs stop, partition and block the shared broker: they run alone, after everything else.
dotnet test Acaso.Mail.sln --no-build --filter "Isolation=BrokerRestart" "$@"
