#!/usr/bin/env bash
# make bench: every script under benchmarks/, each printing its own figures.
# Pure-Python ones run with the virtualenv's python; those whose first line is "# odoo-shell"
# run in `odoo-bin shell` (stdin, `env` given) against a database with the addon installed
# without demo data: bds_bench (BENCH_DB), created once, updated to the current code after.
# An argument limits the run to the scripts whose path contains it: `scripts/bench.sh devices`.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/odoo_env.sh" || exit 1
db=${BENCH_DB:-bds_bench}
py=${VENV:-$here/.venv}/bin/python
only=${1:-}

exists=$(db_exists "$db")
if [ "$exists" = no ]; then
  echo "Creating the benchmark database $db (addon installed, no demo data)..."
  mode=(-i barcode_device_service --without-demo=all)
else
  mode=(-u barcode_device_service)
fi
if ! $ODOO_CMD --addons-path="$ADDONS_PATH" -d "$db" "${mode[@]}" --stop-after-init \
    --log-level=warn --no-http --max-cron-threads=0; then
  echo "The benchmark database $db could not be prepared (see the log above)." >&2
  exit 1
fi

cd "$here"
failed=()
for script in benchmarks/*.py; do
  [ -n "$only" ] && [[ "$script" != *"$only"* ]] && continue
  echo "== $script"
  if head -1 "$script" | grep -q "odoo-shell"; then
    # odoo-bin shell reads the script from stdin and prints a traceback on error without
    # failing, so the traceback is looked for in what it prints.
    out=$(PYTHONPATH="$here/benchmarks/lib${PYTHONPATH:+:$PYTHONPATH}" $ODOO_CMD shell --addons-path="$ADDONS_PATH" -d "$db" --log-level=warn --no-http \
      < "$script" 2>&1)
    status=$?
    echo "$out"
    if [ $status -ne 0 ] || grep -q "^Traceback" <<<"$out"; then
      failed+=("$script")
    fi
  elif ! PYTHONPATH="$here/benchmarks/lib${PYTHONPATH:+:$PYTHONPATH}" "$py" "$script"; then
    failed+=("$script")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "Benchmarks that failed: ${failed[*]}" >&2
  exit 1
fi
