"""The portal's work-order list over HTTP: /my/work-orders for a customer with 10,000 work
orders, against one with 100. Target: under 100 ms at 10,000 (median of 20 requests on
loopback), the page showing 80 of them with their next SLA deadline.

Runs with the virtualenv's python (`make bench`, or `scripts/bench.sh portal_work_orders`):
copies the benchmark database (BENCH_DB, prepared by scripts/bench.sh) to a throw-away one,
builds the two customers there in an `odoo-bin shell` (the work orders and their SLA lines
in bulk SQL, committed), starts an Odoo HTTP server on a free port against it, logs in as
each customer's portal contact and times the page; then stops the server and drops the
throw-away database and its filestore.
"""

import re
import statistics
import time

from bench_http import login, served

REQUESTS = 20
TARGET_MS = 100.0
SIZES = {"small": 100, "big": 10_000}
WORK_ORDER_LINK = re.compile(r'href="/my/work-orders/(\d+)"')

# Built inside `odoo-bin shell` (stdin, `env` given): prints one JSON line with the logins.
BUILD = r"""
import json
from odoo import Command

SIZES = %(sizes)r
company = env.company
calendar = env["resource.calendar"].create({
    "name": "Bench Shanghai office hours",
    "tz": "Asia/Shanghai",
    "company_id": False,
    "attendance_ids": [
        Command.create({"name": f"Day {d}", "dayofweek": d, "hour_from": 9, "hour_to": 18})
        for d in "01234"
    ],
})
team = env["maintenance.team"].create({"name": "Bench field team", "company_id": company.id})
# New, in progress, repaired (resolved).
stages = [env.ref(f"maintenance.stage_{n}").id for n in (0, 1, 3)]
product = env["product.product"].create(
    {"name": "Bench ZT411", "is_storable": True, "tracking": "serial", "is_serviced_device": True}
)
logins = {}
for tag, count in SIZES.items():
    login = f"bench_portal_{tag}"
    customer = env["res.partner"].create({"name": f"Bench customer {tag}", "is_company": True})
    user = env["res.users"].with_context(no_reset_password=True).create({
        "name": f"Contact of {tag}",
        "login": login,
        "password": login,
        "tz": "Asia/Shanghai",
        "company_id": company.id,
        "company_ids": [Command.set(company.ids)],
        "groups_id": [Command.set(env.ref("base.group_portal").ids)],
    })
    user.partner_id.parent_id = customer
    devices = env["maintenance.equipment"].create([
        {"name": f"Bench printer {tag} {i}", "customer_id": customer.id,
         "product_id": product.id, "serial_no": f"SN-{tag}-{i}", "company_id": company.id}
        for i in range(20)
    ])
    contract = env["service.contract"].create({
        "partner_id": customer.id, "date_start": "2020-01-01", "date_end": "2099-12-31",
        "resource_calendar_id": calendar.id, "device_ids": [Command.set(devices.ids)],
        "company_id": company.id,
    })
    contract.action_activate()
    env.flush_all()
    # The work orders in bulk, as the portal reports them (open, in progress, resolved; the
    # four severities), each with its response and resolution clocks; their stored SLA
    # status and next deadline set as the clock sets them.
    env.cr.execute(
        '''
        WITH new AS (
            INSERT INTO maintenance_request
                (name, company_id, maintenance_team_id, stage_id, kanban_state, severity,
                 priority, channel, request_date, maintenance_type, archive, equipment_id,
                 customer_id, commercial_partner_id, contract_id, owner_user_id,
                 sla_status, sla_deadline, access_token, description,
                 create_uid, write_uid, create_date, write_date)
            SELECT 'Bench work order ' || %%(tag)s || ' ' || n, %%(company)s, %%(team)s,
                   (%%(stages)s)[1 + mod(n, 3)], 'normal', 'p' || (1 + mod(n, 4)), '2', 'portal',
                   CURRENT_DATE, 'corrective', false, (%%(devices)s)[1 + mod(n, 20)],
                   %%(customer)s, %%(customer)s, %%(contract)s, %%(user)s,
                   CASE WHEN mod(n, 3) = 2 THEN 'met'
                        WHEN mod(n, 10) = 0 THEN 'breached'
                        WHEN mod(n, 10) = 1 THEN 'warning' ELSE 'running' END,
                   CASE WHEN mod(n, 3) = 2 THEN NULL
                        ELSE now() + n * interval '1 minute' END,
                   md5(%%(tag)s || n || random()::text), '<p>Labels jam at the peeler.</p>',
                   1, 1, now() - n * interval '1 minute', now()
              FROM generate_series(1, %%(count)s) AS n
            RETURNING id, sla_status, sla_deadline, create_date, severity
        )
        INSERT INTO service_sla_line
            (res_model, res_id, request_id, company_id, contract_id, customer_id, severity,
             milestone, calendar_id, target_hours, warning_percent, start_at, deadline,
             original_deadline, warning_at, state, paused_hours, late_hours, met_on_time,
             ledger_generation, create_uid, write_uid, create_date, write_date)
        SELECT 'maintenance.request', new.id, new.id, %%(company)s, %%(contract)s,
               %%(customer)s, new.severity, m.milestone, %%(calendar)s, m.hours, 75,
               new.create_date, COALESCE(new.sla_deadline, new.create_date) + m.later,
               COALESCE(new.sla_deadline, new.create_date) + m.later,
               COALESCE(new.sla_deadline, new.create_date) + m.later - interval '30 minutes',
               CASE WHEN new.sla_status = 'met' THEN 'met'
                    WHEN m.milestone = 'response' THEN new.sla_status ELSE 'running' END,
               0, 0, 0, 0, 1, 1, now(), now()
          FROM new CROSS JOIN (VALUES ('response', 2.0, interval '0 hours'),
                                      ('resolution', 24.0, interval '3 days'))
               AS m(milestone, hours, later)
        ''',
        {"tag": tag, "company": company.id, "team": team.id, "stages": stages,
         "devices": devices.ids, "customer": customer.id, "contract": contract.id,
         "user": user.id, "calendar": calendar.id, "count": count},
    )
    logins[tag] = login
env.cr.commit()
print("BENCH-DATA " + json.dumps(logins))
"""


def median_ms(session, url):
    for _warm in range(3):
        session.get(url, timeout=30).raise_for_status()
    times = []
    for _request in range(REQUESTS):
        start = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return statistics.median(times), len(set(WORK_ORDER_LINK.findall(response.text)))


def main():
    with served("portal_http", BUILD % {"sizes": SIZES}) as (db, base, logins):
        figures = {}
        for tag, count in SIZES.items():
            session = login(base, db, logins[tag])
            for label, url in (
                ("newest", "/my/work-orders"),
                ("next deadline, open", "/my/work-orders?sortby=deadline&filterby=open"),
            ):
                median, rows = median_ms(session, base + url)
                figures[tag, label] = median
                print(
                    f"{count:>6,} work orders, {label:<20}: median {median:6.1f} ms over "
                    f"{REQUESTS} requests ({rows} work orders shown)"
                )
        big = figures["big", "newest"]
        ratio = big / figures["small", "newest"]
        print(f"10,000 / 100 work orders: {ratio:.2f}x; at 10,000: {big:.1f} ms (target < 100)")
        print("OK" if big < TARGET_MS else "TARGET MISSED")


if __name__ == "__main__":
    main()
