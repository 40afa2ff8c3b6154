# odoo-shell
"""Service KPIs over a million work orders: the report grouped by month and team.

1,000,000 customer work orders (two years, ten teams, 50 technicians, 200 customers) are
bulk-inserted with their stored figures; the report is read as the pivot reads it, grouped
by month x team with the headline measures. Target: <= 1 s. Rolled back.
"""

import time

from odoo.modules import module as odoo_module

odoo_module.current_test = True
COUNT = 1_000_000

company = env.company  # noqa: F821
teams = env["maintenance.team"].create(  # noqa: F821
    [{"name": f"KPI bench team {i}", "company_id": company.id} for i in range(10)]
)
customers = env["res.partner"].create(  # noqa: F821
    [{"name": f"KPI bench customer {i}", "is_company": True} for i in range(200)]
)
users = env["res.users"].search([], limit=50)  # noqa: F821
env.flush_all()  # noqa: F821

start = time.perf_counter()
env.cr.execute(  # noqa: F821
    """
    INSERT INTO maintenance_request
        (name, company_id, maintenance_team_id, customer_id, user_id, kanban_state, severity,
         channel, request_date, maintenance_type, archive, is_closed, resolved_at,
         kpi_response_at, kpi_response_hours, kpi_arrival_at, kpi_arrival_hours,
         kpi_resolution_at, kpi_resolution_hours, kpi_within_sla, kpi_first_time_fix,
         kpi_closed_weight, reopen_count, resolved_remotely, rating_last_value)
    SELECT 'KPI ' || n, %(company)s,
           (%(teams)s)[1 + n %% 10], (%(customers)s)[1 + n %% 200], (%(users)s)[1 + n %% 50],
           'normal', (ARRAY['p1', 'p2', 'p3', 'p4'])[1 + n %% 4], 'portal',
           DATE '2025-01-01' + (n %% 730), 'corrective', false, n %% 10 > 0,
           CASE WHEN n %% 10 > 0 THEN TIMESTAMP '2025-01-02' + (n %% 730) * INTERVAL '1 day' END,
           TIMESTAMP '2025-01-01' + (n %% 730) * INTERVAL '1 day', (n %% 7) * 0.5,
           CASE WHEN n %% 3 > 0 THEN TIMESTAMP '2025-01-01' + (n %% 730) * INTERVAL '1 day' END,
           (n %% 11) * 0.5,
           CASE WHEN n %% 10 > 0 THEN TIMESTAMP '2025-01-02' + (n %% 730) * INTERVAL '1 day' END,
           (n %% 13) * 1.0, CASE WHEN n %% 9 = 0 THEN 0 ELSE 100 END,
           CASE WHEN n %% 8 = 0 THEN 0 ELSE 100 END, 1.0 / 22, (n %% 20 = 0)::int,
           n %% 5 = 0, n %% 6
      FROM generate_series(1, %(count)s) AS n
    """,
    {
        "company": company.id,
        "teams": teams.ids,
        "customers": customers.ids,
        "users": users.ids,
        "count": COUNT,
    },
)
env.cr.execute("ANALYZE maintenance_request")  # noqa: F821
print(f"inserted {COUNT:,} work orders in {time.perf_counter() - start:.1f} s")

Report = env["service.kpi.report"]  # noqa: F821
measures = [
    "__count",
    "response_hours:avg",
    "arrival_hours:avg",
    "resolution_hours:avg",
    "within_sla_percent:avg",
    "first_time_fix_percent:avg",
    "rated_percent:avg",
]
timings = []
for _run in range(3):
    env.invalidate_all()  # noqa: F821
    start = time.perf_counter()
    groups = Report._read_group([], ["date:month", "team_id"], measures)
    timings.append(time.perf_counter() - start)
rows = sum(count for *_keys, count, _r, _a, _m, _w, _f, _q in groups)
print(f"groups: {len(groups)}, rows counted: {rows:,}")
print(f"month x team over {COUNT:,} work orders: best {min(timings):.2f} s (target <= 1 s)")
env.cr.rollback()  # noqa: F821
