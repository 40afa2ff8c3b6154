#!/usr/bin/env bash
# Regenerate i18n/barcode_device_service.pot from the code and data (run after changing strings),
# and merge it into the existing translations (msgmerge keeps what is translated).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh"
db=${I18N_DB:-bds_i18n_$$}
# Odoo's exporter reads every file below the addon, the virtualenv included: export from a
# copy of the tracked files only.
copy=$(mktemp -d)
mkdir "$copy/barcode_device_service"
git -C "$here" ls-files -z | (cd "$here" && xargs -0 cp --parents -t "$copy/barcode_device_service")
addons="${ADDONS_PATH%,*},$copy"
$ODOO_CMD --addons-path="$addons" -d "$db" -i barcode_device_service --without-demo=all \
  --stop-after-init --log-level=warn
$ODOO_CMD --addons-path="$addons" -d "$db" --modules=barcode_device_service \
  --i18n-export="$here/i18n/barcode_device_service.pot" --stop-after-init --log-level=warn
rm -rf "$copy"
db_drop "$db"
for po in "$here"/i18n/*.po; do
  [ -e "$po" ] || continue
  if command -v msgmerge >/dev/null; then
    msgmerge --quiet --update --no-fuzzy-matching --backup=none "$po" "$here/i18n/barcode_device_service.pot"
    # Terms gone from the code go from the translation too (Odoo would load them as noise).
    msgattrib --no-obsolete --output-file="$po" "$po"
  fi
done
echo "i18n/barcode_device_service.pot updated."
