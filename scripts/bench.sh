#!/usr/bin/env bash
# make bench: every script under benchmarks/. Pure-Python ones run with the virtualenv's
# python; those whose first line is "# odoo-shell" run in `odoo-bin shell` against a
# database with the addon installed without demo data (created once, kept as bds_bench).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh"
db=${BENCH_DB:-bds_bench}
py=$here/.venv/bin/python
only=${1:-}

exists=$("$py" - "$db" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
cur = conn.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[1],))
print("yes" if cur.fetchone() else "no")
PY
)
if [ "$exists" = no ]; then
  $ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -i barcode_device_service \
    --without-demo=all --stop-after-init --log-level=warn
else
  $ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -u barcode_device_service \
    --stop-after-init --log-level=warn
fi

cd "$here"
for script in benchmarks/*.py; do
  [ -n "$only" ] && [[ "$script" != *"$only"* ]] && continue
  echo "== $script"
  if head -1 "$script" | grep -q "odoo-shell"; then
    $ODOO_CMD shell --addons-path="$ADDONS_PATH" -d "$db" --log-level=warn --no-http < "$script"
  else
    "$py" "$script"
  fi
done
