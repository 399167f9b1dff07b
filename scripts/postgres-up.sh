#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the PostgreSQL
# half of the tests (user postgres, trust auth for loopback, as the tests'
# default PARLEY_TEST_POSTGRES_URL expects). Starts the local cluster if it is
# down; on a machine without PostgreSQL, installs Debian's and lets loopback
# connections in without a password (a CI machine, never a server's).
set -euo pipefail

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
    done
fi
# Every cluster Debian knows of (normally one: <version> main).
pg_lsclusters --no-header | while read -r version cluster _; do
    pg_ctlcluster "$version" "$cluster" start || true
done
for _ in $(seq 1 30); do
    if pg_isready -h 127.0.0.1 -p 5432 -q; then
        exit 0
    fi
    sleep 1
done
echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2
exit 1
