#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on localhost:5432 with the role the cluster specs use: installs Debian's
# postgresql when missing, starts its cluster when it is not running, and creates the role `acaso` (password
# `acaso`, allowed to create databases: each spec makes its own and drops it after) when missing.
set -euo pipefail

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root su postgres -c "$1"; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "ensure-postgres: installing postgresql from apt" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! as_root pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  echo "ensure-postgres: creating cluster $version/main" >&2
  as_root pg_createcluster "$version" main >/dev/null
fi
if ! as_root pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  echo "ensure-postgres: starting cluster $version/main" >&2
  as_root pg_ctlcluster "$version" main start
fi

for ((i = 0; i < 60; i++)); do
  if as_postgres "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
if ! as_postgres "psql -qAtc 'select 1'" >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL $version did not answer within 60 s" >&2
  exit 1
fi

if [[ $(as_postgres "psql -qAtc \"select 1 from pg_roles where rolname = 'acaso'\"") != 1 ]]; then
  echo "ensure-postgres: creating role acaso" >&2
  as_postgres "psql -qc \"create role acaso login createdb password 'acaso'\""
fi
echo "ensure-postgres: PostgreSQL $version is ready on localhost:5432 (role acaso)" >&2
