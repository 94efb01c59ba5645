#!/usr/bin/env bash
# Benchmarks in one run: overhead against a raw client, speed-up against the old loop, priority exactness,
# memory, and what 255 priority levels cost. `--quick` (under 10 minutes here) prints the figures; a full run
# also writes BENCHMARKS.md. It starts (installing when missing) the RabbitMQ it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
dotnet build bench/Acaso.Mail.Bench -c Release -v quiet -nologo
exec dotnet bench/Acaso.Mail.Bench/bin/Release/net10.0/Acaso.Mail.Bench.dll "$@"
