#!/usr/bin/env bash
# make test: a fresh database, install the addon (demo data included), run all its tests
# (browser tours too), print "N passed, N failed" last and fail on any failure, error, or
# error logged by Odoo.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh" || exit 1
db=${TEST_DB:-bds_test_$$}
port=${TEST_PORT:-8269}
tags=${TEST_TAGS:-/barcode_device_service}
log=$(mktemp /tmp/bds_test.XXXXXX.log)
py=$here/.venv/bin/python

db_drop "$db"

echo "Installing barcode_device_service into the fresh database $db and running its tests (log: $log)..."
$ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -i barcode_device_service \
  --test-enable --test-tags="$tags" --stop-after-init --http-port="$port" \
  --log-level=info --max-cron-threads=0 2>&1 | tee "$log" | grep -E " (ERROR|CRITICAL|WARNING) |FAIL:|ERROR:|odoo.tests.result" || true

if [ -z "${KEEP_DB:-}" ]; then
  db_drop "$db"
fi

exec "$py" "$here/scripts/test_summary.py" "$log"
