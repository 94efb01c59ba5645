#!/usr/bin/env bash
# Runs the service on this machine on its embedded defaults: starts (installing when missing) a local
# RabbitMQ, then the service. Without SENDINBLUE_API_KEY it sends to a local capture sink and says where
# the captured requests go. Any setting can be given as an environment variable (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-rabbitmq.sh
# Local state (and, without an API key, the captured requests) under the repository's data/ unless told otherwise.
export MAIL_STATE_DIR="${MAIL_STATE_DIR:-$PWD/data}"
exec dotnet run --project Acaso.Mail.Actors -c Release -- run
