#!/usr/bin/env bash
# Benchmarks in one run: overhead against a raw client, speed-up against the old loop, priority exactness,
# memory, what 255 priority levels cost, and the cluster (three nodes against one, the failover pause). `--quick` (under 10 minutes here) prints the figures; a full run
# also writes BENCHMARKS.md. It starts (installing when missing) the RabbitMQ and PostgreSQL it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
# The cluster figures run three nodes on one PostgreSQL database.
scripts/ensure-postgres.sh
dotnet build bench/Acaso.Mail.Bench -c Release -v quiet -nologo
exec dotnet bench/Acaso.Mail.Bench/bin/Release/net10.0/Acaso.Mail.Bench.dll "$@"
