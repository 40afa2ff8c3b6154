#!/usr/bin/env bash
# make check-replica: the README's "Running past one machine" on this machine. A throw-away
# PostgreSQL primary and a streaming replica of it (initdb, pg_basebackup) on free local
# ports, the addon installed with its demo on the primary, Odoo started with --workers=2 and
# --db_replica_host/--db_replica_port; then, as the demo's portal user `customer`:
#   - the portal's read-only pages answer 200 and their queries reach the replica (its log),
#   - a fault report (a POST) is created on the primary (and streams to the replica),
#   - /websocket upgrades on the gevent port (the bus, live chat),
#   - Odoo's log has no traceback.
# Leaves the machine's own PostgreSQL alone and removes everything it made.
# PG_BINDIR: PostgreSQL's server binaries (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
started=$SECONDS

bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
for tool in initdb pg_ctl pg_basebackup psql; do
  if [ ! -x "$bindir/$tool" ]; then
    echo "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) were not found in '${bindir}': install the PostgreSQL server package or set PG_BINDIR to their folder." >&2
    exit 1
  fi
done

# PostgreSQL refuses to run as root: its clusters then belong to the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u postgres --)
fi
work=$(mktemp -d /tmp/bds_replica.XXXXXX)
chmod 755 "$work"
# The clusters and their logs in pg/, which the server's user owns.
mkdir -p "$work/pg/primary" "$work/pg/replica" "$work/odoo"
[ ${#as_pg[@]} -gt 0 ] && chown -R postgres: "$work/pg"
chmod 700 "$work/pg/primary" "$work/pg/replica"

odoo_pid=
cleanup() {
  status=$?
  if [ -n "$odoo_pid" ]; then
    kill "$odoo_pid" 2>/dev/null && wait "$odoo_pid" 2>/dev/null
  fi
  for cluster in replica primary; do
    if [ -f "$work/pg/$cluster/postmaster.pid" ]; then
      "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg/$cluster" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  if [ $status -ne 0 ] && [ -f "$work/odoo.log" ]; then
    echo "--- last lines of Odoo's log:" >&2
    tail -n 30 "$work/odoo.log" >&2
  fi
  rm -rf "$work"
  echo "Replica check took $((SECONDS - started)) s."
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
primary_port=$(free_port)
replica_port=$(free_port)
http_port=$(free_port)
gevent_port=$(free_port)
db=bds_replica_check
user=bds_replica

echo "PostgreSQL primary on 127.0.0.1:$primary_port, replica on 127.0.0.1:$replica_port (in $work)..."
"${as_pg[@]}" "$bindir/initdb" -D "$work/pg/primary" --auth=trust --username="$user" \
  --encoding=UTF8 --locale=C >/dev/null
# Logs every statement, to see which server the portal's reads reach.
settings="-c listen_addresses=127.0.0.1 -c fsync=off -c log_statement=all"
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg/primary" -l "$work/pg/primary.log" -w -t 30 \
  -o "-p $primary_port -k $work/pg $settings" start >/dev/null

export PGHOST=127.0.0.1 PGPORT=$primary_port PGUSER=$user
unset PGPASSWORD PGDATABASE
source "$here/scripts/odoo_env.sh"
py=${VENV:-$here/.venv}/bin/python

echo "Installing barcode_device_service with its demo on the primary..."
install_started=$SECONDS
$ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -i barcode_device_service --stop-after-init \
  --db_host=127.0.0.1 --db_port="$primary_port" --db_user="$user" --data-dir="$work/odoo" \
  --no-http --max-cron-threads=0 --log-level=warn --logfile="$work/install.log" ||
  { tail -n 30 "$work/install.log" >&2; echo "The install on the primary failed." >&2; exit 1; }
echo "  installed in $((SECONDS - install_started)) s."

# The replica: a base backup of the primary that streams what the primary writes after it.
"${as_pg[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U "$user" \
  -D "$work/pg/replica" -X stream -R --checkpoint=fast
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg/replica" -l "$work/pg/replica.log" -w -t 30 \
  -o "-p $replica_port -k $work/pg $settings" start >/dev/null
in_recovery=$("$bindir/psql" -h 127.0.0.1 -p "$replica_port" -U "$user" -d "$db" -Atc "SELECT pg_is_in_recovery()")
[ "$in_recovery" = t ] || { echo "The replica is not a standby of the primary." >&2; exit 1; }

echo "Odoo with 2 workers on :$http_port (bus on :$gevent_port), reads on the replica..."
$ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" --db-filter="^$db\$" \
  --db_host=127.0.0.1 --db_port="$primary_port" --db_user="$user" \
  --db_replica_host=127.0.0.1 --db_replica_port="$replica_port" \
  --workers=2 --max-cron-threads=0 --http-port="$http_port" --gevent-port="$gevent_port" \
  --data-dir="$work/odoo" --logfile="$work/odoo.log" --log-level=info &
odoo_pid=$!

REPLICA_PORT=$replica_port "$py" - "$http_port" "$gevent_port" "$work/pg/replica.log" "$work/odoo.log" <<'PY'
import base64
import http.client
import os
import re
import sys
import time
import uuid

import psycopg2
import requests

http_port, gevent_port, replica_log, odoo_log = sys.argv[1:]
base = f"http://127.0.0.1:{http_port}"
TIMEOUT = 20


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def wait_for(what, probe, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(1)
    fail(f"{what} did not answer within {seconds} s")


wait_for("Odoo", lambda: requests.get(f"{base}/web/login", timeout=5).status_code == 200)

session = requests.Session()
login_page = session.get(f"{base}/web/login", timeout=TIMEOUT).text
csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
response = session.post(
    f"{base}/web/login",
    data={"login": "customer", "password": "customer", "csrf_token": csrf, "redirect": "/my"},
    timeout=TIMEOUT,
)
if "/web/login" in response.url:
    fail("the demo's portal user customer / customer could not log in")

# The read-only pages, and which server their queries reach (the replica logs every
# statement: the portal's tables must show in what it logged during these requests).
with open(replica_log, "rb") as log:
    log.seek(0, os.SEEK_END)
    replica_offset = log.tell()
pages = ["/my/devices", "/my/work-orders", "/my/contracts", "/my/work-orders/new"]
for listing, pattern in (
    ("/my/devices", r'href="(/my/devices/\d+)'),
    ("/my/work-orders", r'href="(/my/work-orders/\d+)'),
    ("/my/contracts", r'href="(/my/contracts/\d+)'),
):
    page = session.get(f"{base}{listing}", timeout=TIMEOUT)
    match = re.search(pattern, page.text)
    if not match:
        fail(f"{listing} lists nothing for the demo customer")
    pages.append(match.group(1).split("?")[0])
for path in pages:
    response = session.get(f"{base}{path}", timeout=TIMEOUT, allow_redirects=False)
    if response.status_code != 200:
        fail(f"GET {path} answered {response.status_code}, not 200")
time.sleep(1)
with open(replica_log, "rb") as log:
    log.seek(replica_offset)
    replica_sql = log.read().decode(errors="replace")
for table in ("maintenance_equipment", "maintenance_request", "service_contract"):
    if f'"{table}"' not in replica_sql:
        fail(f"no query on {table} reached the replica: the portal read the primary")
print(f"  {len(pages)} read-only portal pages: 200, their queries on the replica.")

# A fault report: a POST, written on the primary.
form = session.get(f"{base}/my/work-orders/new", timeout=TIMEOUT).text
fields = {
    name: re.search(rf'name="{name}" value="([^"]*)"', form).group(1)
    for name in ("csrf_token", "submission_key")
}
device = re.search(r'<option value="(\d+)"', form).group(1)
marker = f"Replica check {uuid.uuid4()}"
response = session.post(
    f"{base}/my/work-orders/new",
    data={**fields, "device_id": device, "severity": "p3", "description": marker},
    timeout=TIMEOUT,
    allow_redirects=False,
)
if response.status_code not in (302, 303):
    fail(f"the fault report answered {response.status_code}, not a redirect to its work order")


def count(port):
    with psycopg2.connect(
        host="127.0.0.1", port=port, dbname="bds_replica_check", user="bds_replica"
    ) as conn, conn.cursor() as cr:
        cr.execute("SELECT count(*) FROM maintenance_request WHERE description LIKE %s", [f"%{marker}%"])
        return cr.fetchone()[0]


if count(os.environ["PGPORT"]) != 1:
    fail("the fault report did not create its work order on the primary")
wait_for(
    "The replica (streaming the new work order)",
    lambda: count(os.environ["REPLICA_PORT"]) == 1,
    seconds=15,
)
print("  fault report: created on the primary, streamed to the replica.")

# The bus: /websocket upgrades on the gevent port (the process that crashed without
# pkg_resources).
def upgrades():
    conn = http.client.HTTPConnection("127.0.0.1", int(gevent_port), timeout=5)
    conn.request(
        "GET",
        "/websocket",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Origin": f"http://127.0.0.1:{gevent_port}",
        },
    )
    status = conn.getresponse().status
    conn.close()
    return status == 101


wait_for("/websocket (the gevent process)", upgrades, seconds=30)
print("  /websocket: 101 Switching Protocols.")

with open(odoo_log, encoding="utf-8", errors="replace") as log:
    tracebacks = log.read().count("Traceback (most recent call last)")
if tracebacks:
    fail(f"Odoo's log has {tracebacks} traceback(s)")
print("  Odoo's log: no traceback.")
PY
echo "Replica check passed."
