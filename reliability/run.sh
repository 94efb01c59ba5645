#!/usr/bin/env bash
# The fault campaign (Acaso.Mail.Actors.Tests/Reliability/ReliabilityCampaign.cs): three service processes, their own
# PostgreSQL, the shared RabbitMQ and the Brevo stand-in, under a schedule of faults drawn from a seed; then the
# invariants, and RELIABILITY.md. Usage: reliability/run.sh [full|quick] [seed]. Full (the default; about 25 minutes)
# restarts the shared broker, so nothing else may use it meanwhile. Quick (about 3 minutes, seed 17) is what
# scripts/test.sh runs with the other specs. It starts (installing when missing) RabbitMQ, PostgreSQL and iptables.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
seed=${2:-$RANDOM}
scripts/ensure-rabbitmq.sh
scripts/ensure-postgres.sh
if ! command -v iptables >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null
fi
export MAIL_CAMPAIGN_MODE=$mode MAIL_CAMPAIGN_SEED=$seed MAIL_CAMPAIGN_REPORT=$PWD/RELIABILITY.md
echo "reliability: $mode campaign, seed $seed; the report goes to RELIABILITY.md" >&2
dotnet test Acaso.Mail.Actors.Tests --filter "FullyQualifiedName~Reliability.ReliabilityCampaign" --logger "console;verbosity=normal"
