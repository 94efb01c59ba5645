#!/usr/bin/env bash
# Proves a rolling upgrade from an earlier commit to the working tree's build. Builds <commit> of the service from the
# repository's own history (git archive, into a cache folder), then runs RollingUpgradeSpecs: a three-node cluster of
# that build with mail flowing, its nodes replaced one by one by the current build; every mail once, the day's count
# exact, the keeper's journal in the new format, no serialization error in any log. Usage:
#   scripts/upgrade-check.sh <commit> [dotnet test options…]
# The test command runs it from the commit in scripts/upgrade-from (the oldest a rolling upgrade must work from).
# It needs the broker and PostgreSQL of scripts/test.sh (scripts/ensure-rabbitmq.sh, scripts/ensure-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 ]]; then
  echo "usage: scripts/upgrade-check.sh <commit> [dotnet test options…]  (the recorded one: $(cat scripts/upgrade-from))" >&2
  exit 64
fi
if ! git rev-parse --verify --quiet "$1^{commit}" >/dev/null && [[ $(git rev-parse --is-shallow-repository) == true ]]; then
  echo "upgrade-check: a shallow clone; fetching the rest of its history" >&2
  git fetch --quiet --unshallow || true
fi
if ! commit=$(git rev-parse --verify --quiet "$1^{commit}"); then
  echo "upgrade-check: $1 is not a commit of this repository: clone it whole (not --depth), or run git fetch --unshallow" >&2
  exit 66
fi
shift
cache=${MAIL_UPGRADE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acaso-mail/upgrade}/$commit
dll=$cache/bin/Acaso.Mail.Actors.dll
if [[ ! -f $dll ]]; then
  echo "upgrade-check: building ${commit:0:12} from the repository's history" >&2
  rm -rf "$cache"
  mkdir -p "$cache/src"
  git archive "$commit" | tar -x -C "$cache/src"
  dotnet build "$cache/src/Acaso.Mail.Actors/Acaso.Mail.Actors.csproj" -c Release -o "$cache/bin" -p:SourceRevisionId="$commit" \
    -nologo -clp:ErrorsOnly >"$cache/build.log" 2>&1 || { cat "$cache/build.log" >&2; rm -rf "$cache/bin"; exit 1; }
fi
echo "upgrade-check: rolling upgrade from ${commit:0:12} to the working tree's build" >&2
MAIL_UPGRADE_FROM_DLL=$dll dotnet test Acaso.Mail.sln --filter "Isolation=Upgrade" "$@"
