#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with the .NET 10 SDK: starts (installing when missing) the
# RabbitMQ broker and the PostgreSQL server the tests need, installs Prometheus and promtool, iptables, openssl
# and Chromium when missing, then runs the solution's tests.
#
#   scripts/test.sh          every spec, in three passes (what CI runs)
#   scripts/test.sh --fast   the fast loop: every spec that starts no service process and restarts nothing
#
# Any other arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")/.."
fast=false
if [[ "${1:-}" == "--fast" ]]; then
  fast=true
  shift
fi
# Commit subjects stay at most 72 characters (docs/testing.md): the hook checks each commit made in this clone.
if hooks=$(git rev-parse --git-path hooks 2>/dev/null) && [[ ! -e "$hooks/commit-msg" ]]; then
  mkdir -p "$hooks" && cp scripts/commit-msg "$hooks/commit-msg"
fi
scripts/ensure-rabbitmq.sh
scripts/clean-test-queues.sh
# The cluster specs share a PostgreSQL database between their nodes (Debian's postgresql, role acaso).
scripts/ensure-postgres.sh
# Installs Debian's package $2 when the command $1 is missing.
apt_install_for() {
  if command -v "$1" >/dev/null 2>&1; then return; fi
  echo "test.sh: installing $2 from apt" >&2
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
# promtool checks the alert rules and a real Prometheus scrapes the service (Debian's prometheus package).
apt_install_for promtool prometheus
apt_install_for prometheus prometheus
# The durability specs cut the broker off with iptables (a silent partition on loopback).
apt_install_for iptables iptables
# The TLS cluster specs make their certificates with openssl.
apt_install_for openssl openssl
# The console's browser specs drive Debian's Chromium with Playwright (no browser can be downloaded here).
apt_install_for chromium chromium
if $fast; then
  # Process and three-node specs carry Loop=Full (House/TestLayoutSpecs checks it).
  exec dotnet test Acaso.Mail.sln --filter "Loop!=Full&Isolation!=BrokerRestart&Isolation!=Upgrade" "$@"
fi
dotnet test Acaso.Mail.sln --filter "Isolation!=BrokerRestart&Isolation!=Upgrade" "$@"
# A rolling upgrade from the oldest commit it must work from (scripts/upgrade-from) to this build.
scripts/upgrade-check.sh "$(cat scripts/upgrade-from)" --no-build "$@"
# The broker-restart specs stop, partition and block the shared broker: they run alone, after everything else.
dotnet test Acaso.Mail.sln --no-build --filter "Isolation=BrokerRestart" "$@"
