# odoo-shell
"""The SLA detection job's cost follows what is due, not what is open.

Run A: 1,000 open work orders, all 1,000 due. Run B: 100,000 open, 1,000 of them due.
Target: B at most 2x A. The not-due bulk is inserted in SQL (lines whose next check lies in
the future); the due work orders are real ones. Run with `make bench`; rolled back.
"""

import time
from datetime import timedelta

from bench_setup import contract_with_devices

from odoo import fields
from odoo.modules import module as odoo_module

# The job commits after each batch; here everything must be rolled back at the end, so the
# run is flagged like a test run, in which the job does not commit.
odoo_module.current_test = True

calendar = env.ref("barcode_device_service.resource_calendar_7x24")  # noqa: F821
contract, device = contract_with_devices(env, calendar)  # noqa: F821
Request = env["maintenance.request"].with_context(tracking_disable=True)  # noqa: F821
Line = env["service.sla.line"]  # noqa: F821
team = env["maintenance.team"].search([], limit=1)  # noqa: F821


def due_work_orders(count):
    requests = Request.create(
        [{"name": f"Due {i}", "equipment_id": device.id, "severity": "p1"} for i in range(count)]
    )
    # Make their clocks due: started a day ago.
    past = fields.Datetime.now() - timedelta(days=1)
    requests.sla_line_ids.write({"start_at": past})
    requests.sla_line_ids._schedule()
    env.flush_all()  # noqa: F821
    return requests


def open_not_due(count):
    env.cr.execute(  # noqa: F821
        """
        WITH r AS (
            INSERT INTO maintenance_request
                (name, company_id, maintenance_team_id, kanban_state, severity, channel,
                 request_date, maintenance_type, archive, contract_id)
            SELECT 'Open ' || n, %(company)s, %(team)s, 'normal', 'p3', 'backend',
                   CURRENT_DATE, 'corrective', false, %(contract)s
              FROM generate_series(1, %(count)s) AS n
            RETURNING id
        )
        INSERT INTO service_sla_line
            (res_model, res_id, request_id, company_id, contract_id, severity, milestone,
             calendar_id,
             target_hours, warning_percent, start_at, deadline, original_deadline,
             warning_at, state, paused_hours, next_check_at)
        SELECT 'maintenance.request', r.id, r.id, %(company)s, %(contract)s, 'p3', 'resolution',
               %(calendar)s, 40, 75,
               now() at time zone 'utc', now() at time zone 'utc' + interval '40 hours',
               now() at time zone 'utc' + interval '40 hours',
               now() at time zone 'utc' + interval '30 hours', 'running', 0,
               now() at time zone 'utc' + interval '30 hours'
          FROM r
        """,
        {
            "company": env.company.id,  # noqa: F821
            "team": team.id,
            "contract": contract.id,
            "calendar": calendar.id,
            "count": count,
        },
    )
    env.cr.execute("ANALYZE service_sla_line")  # noqa: F821


def run_job():
    env.flush_all()  # noqa: F821
    env.invalidate_all()  # noqa: F821
    start = time.perf_counter()
    Line._cron_check_sla()
    env.flush_all()  # noqa: F821
    return time.perf_counter() - start


due_work_orders(1000)
small = run_job()
due_work_orders(1000)
open_not_due(99_000)
env.cr.execute("SELECT count(*) FROM service_sla_line WHERE state IN ('running', 'warning')")  # noqa: F821
open_lines = env.cr.fetchone()[0]  # noqa: F821
large = run_job()
print(f"A: 1,000 open, 1,000 due: {small:.2f} s")
print(f"B: {open_lines:,} open lines, 1,000 work orders due: {large:.2f} s")
print(f"ratio B / A: {large / small:.2f} (target <= 2)")
env.cr.rollback()  # noqa: F821
