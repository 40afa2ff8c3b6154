"""A throw-away copy of the benchmark database served by a real Odoo HTTP server, for the
benchmarks that time pages and PDFs over HTTP (they run with the virtualenv's python).

`served(build_script)` copies BENCH_DB, runs ``build_script`` in `odoo-bin shell` there (it
commits its data and prints one line "BENCH-DATA <json>"), starts a server on a free port
and yields ``(base_url, data)``; then stops the server and drops the copy and its filestore.
"""

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import psycopg2
import requests
from psycopg2 import sql

SOURCE_DB = os.environ.get("BENCH_DB", "bds_bench")
ODOO_CMD = shlex.split(os.environ["ODOO_CMD"])
ADDONS_PATH = os.environ["ADDONS_PATH"]


def postgres(statement):
    """Run one statement outside a transaction (CREATE and DROP DATABASE need it)."""
    connection = psycopg2.connect(dbname="postgres")
    connection.autocommit = True
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


def drop_database(db):
    postgres(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo(db, *args, command=()):
    """The command line of Odoo (``command``: a subcommand such as shell) on ``db``."""
    return [*ODOO_CMD, *command, f"--addons-path={ADDONS_PATH}", "-d", db, *args]


def build(db, data_dir, script):
    done = subprocess.run(
        odoo(db, f"--data-dir={data_dir}", "--no-http", "--log-level=warn", command=["shell"]),
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH-DATA ")), None)
    if done.returncode or not line or "Traceback" in done.stdout + done.stderr:
        sys.exit(f"Building the benchmark data failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(line.split(" ", 1)[1])


def wait_for(url, server, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("The Odoo server stopped before answering (see its log above).")
        try:
            requests.get(url, timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.5)
    sys.exit(f"The Odoo server did not answer on {url} within {timeout} s.")


def login(base, db, user, password=None):
    session = requests.Session()
    response = session.post(
        f"{base}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": user, "password": password or user}},
        timeout=30,
    )
    response.raise_for_status()
    if response.json().get("error"):
        sys.exit(f"Could not log in as {user}: {response.json()['error']}")
    return session


@contextmanager
def served(name, build_script, workers=0):
    """Yield ``(db, base_url, data)`` for a served copy of the benchmark database."""
    db = f"{SOURCE_DB}_{name}"
    drop_database(db)
    postgres(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(db), sql.Identifier(SOURCE_DB)
        )
    )
    data_dir = tempfile.mkdtemp(prefix=f"bds_bench_{name}_")
    server = None
    try:
        data = build(db, data_dir, build_script)
        # For a benchmark that runs more `odoo-bin shell` on the copy (same filestore).
        data["data_dir"] = data_dir
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            odoo(
                db,
                f"--data-dir={data_dir}",
                f"--http-port={port}",
                "--http-interface=127.0.0.1",
                f"--db-filter=^{db}$",
                f"--workers={workers}",
                "--max-cron-threads=0",
                "--log-level=warn",
            )
        )
        wait_for(f"{base}/web/login", server)
        yield db, base, data
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        drop_database(db)
        shutil.rmtree(data_dir, ignore_errors=True)
