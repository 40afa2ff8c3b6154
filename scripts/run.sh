#!/usr/bin/env bash
# make run: a database with the addon and its demo data (created once), served on :8069.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh"
db=${DB:-barcode_device_service}
port=${PORT:-8069}
exists=$(db_exists "$db")
if [ "$exists" = no ]; then
  echo "Creating database $db with barcode_device_service and its demo data (a few minutes, once)..."
  $ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -i barcode_device_service \
    --stop-after-init --log-level=warn
  # Odoo's installer leaves admin/admin; say so rather than guess.
fi
echo "Odoo is starting on http://localhost:$port (login admin / admin)."
exec $ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" --db-filter="^$db\$" --http-port="$port"
