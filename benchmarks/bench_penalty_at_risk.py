# odoo-shell
"""Money at risk on 10,000 open work orders.

10,000 open P1 work orders of 100 contracts, each with response, arrival and resolution
clocks (a third of the arrivals already late), under a fixed, a per-hour, a fee-% penalty
rule and a cap. The scheduled refresh prices them all in batches. Target: <= 2 s, and the
same number of queries for every batch. Rolled back.
"""

import time

from bench_setup import contract_with_devices

from odoo.modules import module as odoo_module

odoo_module.current_test = True
COUNT = 10_000
CONTRACTS = 100

calendar = env.ref("barcode_device_service.resource_calendar_7x24")  # noqa: F821
contracts = env["service.contract"]  # noqa: F821
for i in range(CONTRACTS):
    contract, _devices = contract_with_devices(env, calendar, name=f"Risk {i}")  # noqa: F821
    contract.monthly_fee = 1000
    contracts |= contract
env["service.penalty.rule"].create(  # noqa: F821
    [
        {"contract_id": c.id, "date_from": "2020-01-01", **rule}
        for c in contracts
        for rule in (
            {"milestone": "response", "computation": "fixed", "amount": 400},
            {"milestone": "arrival", "computation": "per_hour", "amount": 100},
            {"milestone": "resolution", "computation": "fee_percent", "percent": 10},
            {"rule_type": "cap", "amount": 5000},
        )
    ]
)
team = env["maintenance.team"].search([], limit=1)  # noqa: F821
env.flush_all()  # noqa: F821
env.cr.execute(  # noqa: F821
    """
    WITH r AS (
        INSERT INTO maintenance_request
            (name, company_id, maintenance_team_id, kanban_state, severity, channel,
             request_date, maintenance_type, archive, is_closed, contract_id, customer_id)
        SELECT 'Risk ' || n, %(company)s, %(team)s, 'normal', 'p1', 'backend', CURRENT_DATE,
               'corrective', false, false, (%(contracts)s)[1 + n %% %(ncontracts)s],
               (SELECT partner_id FROM service_contract
                 WHERE id = (%(contracts)s)[1 + n %% %(ncontracts)s])
          FROM generate_series(1, %(count)s) AS n
        RETURNING id, contract_id
    )
    INSERT INTO service_sla_line
        (res_model, res_id, request_id, company_id, contract_id, severity, milestone,
         calendar_id, target_hours, warning_percent, start_at, deadline, original_deadline,
         state, breached_at, paused_hours, is_closed, ledger_generation)
    SELECT 'maintenance.request', r.id, r.id, %(company)s, r.contract_id, 'p1', m.milestone,
           %(calendar)s, m.target, 75,
           now() at time zone 'utc' - interval '6 hours',
           now() at time zone 'utc' - interval '6 hours' + m.target * interval '1 hour',
           now() at time zone 'utc' - interval '6 hours' + m.target * interval '1 hour',
           CASE WHEN m.milestone = 'arrival' AND r.id %% 3 = 0 THEN 'breached'
                ELSE 'running' END,
           CASE WHEN m.milestone = 'arrival' AND r.id %% 3 = 0
                THEN now() at time zone 'utc' - interval '2 hours' END,
           0, false, 0
      FROM r, (VALUES ('response', 8.0), ('arrival', 4.0), ('resolution', 12.0))
               AS m(milestone, target)
    """,
    {
        "company": env.company.id,  # noqa: F821
        "team": team.id,
        "contracts": contracts.ids,
        "ncontracts": CONTRACTS,
        "calendar": calendar.id,
        "count": COUNT,
    },
)
env.cr.execute("ANALYZE maintenance_request")  # noqa: F821
env.cr.execute("ANALYZE service_sla_line")  # noqa: F821
env.invalidate_all()  # noqa: F821

Request = env["maintenance.request"]  # noqa: F821
start = time.perf_counter()
before = env.cr.sql_log_count  # noqa: F821
Request._cron_refresh_penalty_at_risk()
env.flush_all()  # noqa: F821
elapsed = time.perf_counter() - start
queries = env.cr.sql_log_count - before  # noqa: F821

batches = []
open_ids = Request.search([("is_closed", "=", False), ("contract_id", "in", contracts.ids)]).ids
for size in (500, 1000):
    env.invalidate_all()  # noqa: F821
    before = env.cr.sql_log_count  # noqa: F821
    Request.browse(open_ids[:size])._refresh_penalty_at_risk()
    batches.append(env.cr.sql_log_count - before)  # noqa: F821

env.cr.execute(  # noqa: F821
    "SELECT count(*), sum(penalty_at_risk), count(*) FILTER (WHERE penalty_per_hour > 0)"
    " FROM maintenance_request WHERE contract_id = ANY(%s)",
    [contracts.ids],
)
count, total, late = env.cr.fetchone()  # noqa: F821
print(f"{count:,} open work orders priced, {late:,} late: total at risk {total:,.0f}")
print(f"refresh of all: {elapsed:.2f} s, {queries} queries (target <= 2 s)")
print(f"queries per batch: {batches[0]} for 500, {batches[1]} for 1,000 (target: equal)")
env.cr.rollback()  # noqa: F821
