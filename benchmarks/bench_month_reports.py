"""Monthly service reports of 500 contracts, printed by the job as it runs at night: in
batches of 50 that commit, each batch one wkhtmltopdf print split per contract, attached
and e-mailed. Target: all 500 in <= 3 minutes. Then the job is killed halfway through a
second month's run and started again: every contract gets its report once, none twice.

Runs with the virtualenv's python (`make bench`, or `scripts/bench.sh month_reports`) on a
served copy of the benchmark database (the server serves wkhtmltopdf the style sheets).
"""

import json
import subprocess
import sys
import time

from bench_http import odoo, served

CONTRACTS = 500
TARGET_S = 180

BUILD = r"""
import json
from odoo import Command
calendar = env.ref("barcode_device_service.resource_calendar_7x24")
customers = env["res.partner"].create([
    {"name": f"Month bench customer {i}", "is_company": True, "email": f"c{i}@example.com"}
    for i in range(%(count)d)
])
contracts = env["service.contract"].create([
    {"partner_id": c.id, "date_start": "2020-01-01", "date_end": "2099-12-31",
     "resource_calendar_id": calendar.id, "monthly_fee": 1000}
    for c in customers
])
contracts.action_activate()
# A month of history per contract: four work orders reported and resolved in it.
env.cr.execute('''
    INSERT INTO maintenance_request
        (name, company_id, maintenance_team_id, kanban_state, severity, channel, request_date,
         maintenance_type,
         archive, is_closed, contract_id, customer_id, resolved_at, kpi_resolution_at,
         kpi_resolution_hours, rating_last_value)
    SELECT 'Month bench ' || n, %%(company)s, %%(team)s, 'normal',
           (ARRAY['p1','p2','p3','p4'])[1 + n %%%% 4],
           'portal', %%(day)s, 'corrective', false, true, c.id, c.partner_id,
           %%(day)s::timestamp + interval '5 hours', %%(day)s::timestamp + interval '5 hours',
           5, n %%%% 6
      FROM service_contract c, generate_series(1, 4) AS n
     WHERE c.id = ANY(%%(ids)s)
''', {"company": env.company.id, "day": %(day)r, "ids": contracts.ids,
      "team": env["maintenance.team"].search([], limit=1).id})
env["ir.config_parameter"].set_param("mail.catchall.domain", "example.com")
env.cr.commit()
print("BENCH-DATA " + json.dumps({"contracts": contracts.ids}))
"""

JOB = r"""
import json, time
env["ir.config_parameter"].set_param("report.url", %(base)r)
env.cr.commit()
start = time.perf_counter()
done = env["service.contract"]._cron_month_reports()
print("BENCH-JOB " + json.dumps({"done": done, "seconds": time.perf_counter() - start}))
"""

COUNT = r"""
import json
env.cr.execute("SELECT period, count(*), count(DISTINCT contract_id), count(attachment_id),"
               " count(sent_at) FROM service_month_report GROUP BY period ORDER BY period")
print("BENCH-COUNT " + json.dumps(env.cr.fetchall()))
"""


def shell_command(db, data_dir):
    return odoo(
        db,
        f"--data-dir={data_dir}",
        "--no-http",
        "--log-level=warn",
        "--max-cron-threads=0",
        command=["shell"],
    )


def shell(db, data_dir, script, marker, timeout=None):
    done = subprocess.run(
        shell_command(db, data_dir),
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(marker)), None)
    if not line:
        sys.exit(f"{marker} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(line.split(" ", 1)[1])


def main():
    # The month last closed today is the one the job reports on: its history is made there.
    from datetime import date

    today = date.today()
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 15)
    build = BUILD % {"count": CONTRACTS, "day": last_month.isoformat()}
    with served("month_reports", build) as (db, base, data):
        data_dir = data["data_dir"]
        job = JOB % {"base": base}
        result = shell(db, data_dir, job, "BENCH-JOB ")
        print(
            f"{result['done']} contracts reported in {result['seconds']:.1f} s "
            f"(target <= {TARGET_S} s for {CONTRACTS})"
        )
        # Killed halfway: a second run of the same month's job, stopped after some
        # batches have committed, then run again to the end.
        shell(
            db,
            data_dir,
            "env.cr.execute('DELETE FROM service_month_report'); env.cr.commit()\n"
            "print('BENCH-COUNT []')",
            "BENCH-COUNT ",
        )
        process = subprocess.Popen(
            shell_command(db, data_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        process.stdin.write(job)
        process.stdin.close()
        time.sleep(result["seconds"] / 2 + 5)
        process.kill()
        process.wait()
        halfway = shell(db, data_dir, COUNT, "BENCH-COUNT ")
        print(f"killed halfway: {halfway[0][1] if halfway else 0} of {CONTRACTS} reports committed")
        resumed = shell(db, data_dir, job, "BENCH-JOB ")
        counts = shell(db, data_dir, COUNT, "BENCH-COUNT ")
        period, reports, contracts, attached, sent = counts[0]
        print(
            f"resumed: {resumed['done']} more in {resumed['seconds']:.1f} s; {period}: "
            f"{reports} reports for {contracts} contracts, {attached} attached, {sent} e-mailed "
            f"({'no duplicates' if reports == contracts == CONTRACTS else 'MISMATCH'})"
        )


if __name__ == "__main__":
    main()
