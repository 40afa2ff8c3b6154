#!/usr/bin/env bash
# Regenerate i18n/barcode_device_service.pot from the code and data (run after changing strings),
# and merge it into the existing translations (msgmerge keeps what is translated).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh"
db=${I18N_DB:-bds_i18n_$$}
$ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" -i barcode_device_service --without-demo=all \
  --stop-after-init --log-level=warn
$ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" --modules=barcode_device_service \
  --i18n-export="$here/i18n/barcode_device_service.pot" --stop-after-init --log-level=warn
# The virtualenv lives inside the addon folder, and Odoo's exporter reads every .py below
# it: keep only the terms of the addon's own files.
"$here/.venv/bin/python" - "$here/i18n/barcode_device_service.pot" <<'PY'
import sys, polib
pot = polib.pofile(sys.argv[1], wrapwidth=0)
for entry in list(pot):
    own = [o for o in entry.occurrences if "/.venv/" not in o[0] and "/.build/" not in o[0]]
    if not own:
        pot.remove(entry)
    else:
        entry.occurrences = own
pot.save(sys.argv[1])
PY
"$here/.venv/bin/python" - "$db" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
conn.cursor().execute('DROP DATABASE IF EXISTS "%s"' % sys.argv[1])
PY
for po in "$here"/i18n/*.po; do
  [ -e "$po" ] || continue
  if command -v msgmerge >/dev/null; then
    msgmerge --quiet --update --no-fuzzy-matching --backup=none "$po" "$here/i18n/barcode_device_service.pot"
  fi
done
echo "i18n/barcode_device_service.pot updated."
