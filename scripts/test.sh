#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with the .NET 10 SDK: starts (installing when missing) the
# RabbitMQ broker the tests need, then runs the solution's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
dotnet test Acaso.Mail.sln --filter "Isolation!=BrokerRestart" "$@"
# The broker-restart specs stop and start the shared broker: they run alone, after everything else.
dotnet test Acaso.Mail.sln --no-build --filter "Isolation=BrokerRestart" "$@"
