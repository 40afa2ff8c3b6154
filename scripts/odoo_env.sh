#!/usr/bin/env bash
# Finds Odoo and PostgreSQL for the make targets and sets:
#   ODOO_CMD (how to start Odoo) and ADDONS_PATH (Odoo's addons + this addon's parent),
# and the helpers db_exists NAME and db_drop NAME.
# Stops with one sentence when something is missing. Sourced by scripts/*.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$here/.venv}
py=$venv/bin/python

# Odoo finds modules by folder name; the repository root is the addon whatever the clone
# is called, so expose it under its technical name through a link.
mkdir -p "$here/.build/addons"
ln -sfn "$here" "$here/.build/addons/barcode_device_service"

odoo_path=${ODOO_PATH:-/opt/odoo}
if [ -x "$odoo_path/odoo-bin" ] || [ -f "$odoo_path/odoo-bin" ]; then
  ODOO_CMD="$py $odoo_path/odoo-bin"
  ADDONS_PATH="$odoo_path/addons,$odoo_path/odoo/addons,$here/.build/addons"
elif odoo_pkg=$("$py" -c 'import odoo, os; print(os.path.dirname(odoo.__file__))' 2>/dev/null); then
  ODOO_CMD="$py -m odoo"
  ADDONS_PATH="$odoo_pkg/addons,$here/.build/addons"
else
  echo "Odoo 18.0 was not found: set ODOO_PATH to an Odoo 18.0 source tree (the folder with odoo-bin) or install the odoo package into $venv." >&2
  exit 1
fi

if ! "$py" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()' 2>/dev/null; then
  echo "PostgreSQL is not reachable: start it, or set PGHOST/PGPORT/PGUSER/PGPASSWORD to a server where this user may create databases." >&2
  exit 1
fi
export ODOO_CMD ADDONS_PATH

# Whether the database exists: prints yes or no.
db_exists() {
  "$py" - "$1" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
cur = conn.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[1],))
print("yes" if cur.fetchone() else "no")
PY
}

db_drop() {
  "$py" - "$1" <<'PY'
import sys, psycopg2
from psycopg2 import sql
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
conn.cursor().execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(sys.argv[1])))
PY
}
