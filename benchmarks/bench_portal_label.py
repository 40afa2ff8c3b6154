"""The device label URL (/service/device/<token>) over HTTP, with 100 and with 10,000 devices.

Target: under 50 ms median (20 requests on loopback) whatever the number of devices: the
token is found through its unique index. Measured for the device's customer (redirected to
the device page) and for an unknown token (the neutral page, as any foreign or replaced
label gets).

The script builds its data in the benchmark database (BENCH_DB, default bds_bench) through
`odoo-bin shell`, committed, starts its own Odoo HTTP server on a free port, measures, then
stops the server and removes everything it created. Run with
`BENCH_DB=bds_bench_<you> scripts/bench.sh portal_label` (which prepares the database).
"""

import os
import pathlib
import secrets
import socket
import statistics
import subprocess
import sys
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_DB", "bds_bench")
TARGET_MS = 50.0
REQUESTS = 20
COUNTS = (100, 10_000)
LOGIN = "bench_portal_label"
CUSTOMER = "Bench Label URL Customer"


def odoo_env():
    """ODOO_CMD and ADDONS_PATH as scripts/bench.sh exports them (found again when the
    script is run on its own)."""
    if os.environ.get("ODOO_CMD") and os.environ.get("ADDONS_PATH"):
        return os.environ["ODOO_CMD"].split(), os.environ["ADDONS_PATH"]
    out = subprocess.run(
        ["bash", "-c", 'source scripts/odoo_env.sh && echo "$ODOO_CMD" && echo "$ADDONS_PATH"'],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return out[-2].split(), out[-1]


ODOO_CMD, ADDONS_PATH = odoo_env()


def shell(code):
    """Run ``code`` in `odoo-bin shell` on the benchmark database (``env`` given), commit,
    and return what it printed on lines starting with "=> "."""
    script = f"{code}\nenv.cr.commit()\n"
    result = subprocess.run(
        [*ODOO_CMD, "shell", f"--addons-path={ADDONS_PATH}", "-d", DB, "--log-level=warn"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode or "Traceback" in result.stdout + result.stderr:
        sys.exit(f"odoo shell failed:\n{result.stdout}\n{result.stderr}")
    return [line[3:] for line in result.stdout.splitlines() if line.startswith("=> ")]


SETUP = f"""
from odoo import Command
customer = env["res.partner"].create({{"name": {CUSTOMER!r}, "is_company": True}})
user = env["res.users"].with_context(no_reset_password=True).create({{
    "name": "Bench Label Contact", "login": {LOGIN!r}, "password": {LOGIN!r},
    "email": "bench-label@example.com",
    "groups_id": [Command.set([env.ref("base.group_portal").id])],
}})
user.partner_id.parent_id = customer
"""

ADD_DEVICES = """
customer = env["res.partner"].search([("name", "=", {customer!r})], limit=1)
Device = env["maintenance.equipment"].with_context(tracking_disable=True)
for start in range({first}, {last}, 2000):
    Device.create([
        {{"name": f"Bench label device {{i}}", "customer_id": customer.id,
          "serial_no": f"BENCH-LABEL-{{i:05d}}"}}
        for i in range(start, min(start + 2000, {last}))
    ])
    env.cr.commit()
# Statistics as autovacuum keeps them on a live database.
env.cr.execute("ANALYZE maintenance_equipment")
device = Device.search([("customer_id", "=", customer.id)], order="id", limit=1)
token = device.sudo().label_token
print("=> " + token + " " + str(device.id))
env.cr.execute(
    "EXPLAIN SELECT id FROM maintenance_equipment WHERE label_token = %s LIMIT 1", [token]
)
print("=> " + " / ".join(row[0].strip() for row in env.cr.fetchall()))
"""

CLEANUP = f"""
customer = env["res.partner"].with_context(active_test=False).search(
    [("name", "=", {CUSTOMER!r})]
)
devices = env["maintenance.equipment"].with_context(active_test=False).search(
    [("customer_id", "in", customer.ids)]
)
devices.unlink()
env["res.users"].with_context(active_test=False).search([("login", "=", {LOGIN!r})]).unlink()
env["res.partner"].with_context(active_test=False).search(
    [("parent_id", "in", customer.ids)]
).unlink()
customer.unlink()
print("=> removed " + str(len(devices)))
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port):
    server = subprocess.Popen(
        [
            *ODOO_CMD,
            f"--addons-path={ADDONS_PATH}",
            "-d",
            DB,
            f"--db-filter=^{DB}$",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--workers=0",
            "--log-level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("The Odoo server stopped while starting.")
        try:
            requests.get(f"{url}/web/login", timeout=5)
            return server, url
        except requests.ConnectionError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("The Odoo server did not answer within 2 minutes.")


def median_ms(session, url, expected_status):
    for _warm in range(3):
        session.get(url, allow_redirects=False, timeout=30)
    times = []
    for _run in range(REQUESTS):
        start = time.perf_counter()
        response = session.get(url, allow_redirects=False, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != expected_status:
            sys.exit(f"{url} answered {response.status_code}, not {expected_status}")
    return statistics.median(times)


def measure(base_url):
    session = requests.Session()
    response = session.post(
        f"{base_url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": DB, "login": LOGIN, "password": LOGIN}},
        timeout=30,
    )
    if response.json().get("error"):
        sys.exit(f"Could not log in as {LOGIN}: {response.json()['error']}")
    unknown = f"{base_url}/service/device/{secrets.token_urlsafe(16)}"
    return {
        "customer": median_ms(session, f"{base_url}/service/device/{TOKEN}", 303),
        "unknown token": median_ms(session, unknown, 404),
    }


print(f"Label URL over HTTP, median of {REQUESTS} requests, database {DB}")
shell(CLEANUP)  # leftovers of an interrupted run
shell(SETUP)
server = None
results = {}
try:
    created = 0
    for count in COUNTS:
        printed = shell(ADD_DEVICES.format(customer=CUSTOMER, first=created, last=count))
        TOKEN, _device_id = printed[0].split()
        plan = printed[1]
        created = count
        if server is None:
            server, base_url = start_server(free_port())
        results[count] = measure(base_url)
finally:
    if server is not None:
        server.terminate()
        server.wait(timeout=60)
    print("cleanup:", *shell(CLEANUP))

print(f"token lookup plan with {COUNTS[-1]} devices: {plan}")
missed = "Index" not in plan
for case in ("customer", "unknown token"):
    few, many = (results[count][case] for count in COUNTS)
    ok = few < TARGET_MS and many < TARGET_MS
    missed |= not ok
    print(
        f"{case:>14}: {COUNTS[0]:>6} devices {few:6.1f} ms | {COUNTS[1]:>6} devices "
        f"{many:6.1f} ms | ratio {many / few:4.2f} | target < {TARGET_MS:.0f} ms: "
        f"{'OK' if ok else 'TARGET MISSED'}"
    )
sys.exit(1 if missed else 0)
