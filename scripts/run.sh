#!/usr/bin/env bash
# Runs the service on this machine on its embedded defaults: starts (installing when missing) a local
# RabbitMQ, then the service. Without SENDINBLUE_API_KEY it sends to a local capture sink and says where
# the captured requests go. Any setting can be given as an environment variable (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
exec dotnet run --project Acaso.Mail.Actors -c Release -- run
