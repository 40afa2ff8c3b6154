# odoo-shell
"""The daily minimum-stock check over 10,000 commitment lines.

500 active contracts, each holding 20 spare parts in its own location: 10,000 lines. A third
of the lines are at their minimum, a third short by one part, a third empty. The lines and the
quants are inserted in SQL (the contracts, locations and products are real records); the
check is the real job. Run 1 opens a shortfall period for every short line; run 2 finds them
still short (the daily steady state). Target: under 10 s; queries: a constant number per batch
of 1,000 lines. Run with `make bench`; rolled back.
"""

import time

from odoo.modules import module as odoo_module

# The job commits after each batch; here everything must be rolled back at the end, so the
# run is flagged like a test run, in which the job does not commit.
odoo_module.current_test = True

CONTRACTS = 500
PARTS = 20
company = env.company  # noqa: F821
warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)  # noqa: F821
customer = env["res.partner"].create({"name": "Bench Plant", "is_company": True})  # noqa: F821
Contract = env["service.contract"].with_context(tracking_disable=True)  # noqa: F821
contracts = Contract.create(
    [
        {
            "partner_id": customer.id,
            "date_start": "2020-01-01",
            "date_end": "2099-12-31",
            "company_id": company.id,
        }
        for _index in range(CONTRACTS)
    ]
)
contracts.action_activate()
locations = env["stock.location"].create(  # noqa: F821
    [
        {"name": contract.name, "location_id": warehouse.lot_stock_id.id, "company_id": company.id}
        for contract in contracts
    ]
)
for contract, location in zip(contracts, locations, strict=True):
    contract.stock_location_id = location
parts = env["product.product"].create(  # noqa: F821
    [{"name": f"Bench spare part {i}", "is_storable": True} for i in range(PARTS)]
)
env.flush_all()  # noqa: F821
env.cr.execute(  # noqa: F821
    """
    WITH lines AS (
        INSERT INTO service_contract_stock_commitment
            (contract_id, company_id, product_id, location_id, min_qty, max_qty, sequence,
             create_date, write_date, create_uid, write_uid)
        SELECT c.id, c.company_id, p.id, c.stock_location_id, 2, 4, 10,
               now() at time zone 'utc', now() at time zone 'utc', %(uid)s, %(uid)s
          FROM service_contract c CROSS JOIN unnest(%(parts)s) AS p(id)
         WHERE c.id = ANY(%(contracts)s)
        RETURNING id, product_id, location_id
    )
    INSERT INTO stock_quant
        (product_id, location_id, company_id, quantity, reserved_quantity, in_date,
         create_date, write_date)
    SELECT product_id, location_id, %(company)s, CASE WHEN id %% 3 = 0 THEN 2 ELSE 1 END, 0,
           now() at time zone 'utc', now() at time zone 'utc', now() at time zone 'utc'
      FROM lines
     WHERE id %% 3 <> 2
    """,
    {
        "uid": env.uid,  # noqa: F821
        "parts": parts.ids,
        "contracts": contracts.ids,
        "company": company.id,
    },
)
env.cr.execute("ANALYZE service_contract_stock_commitment")  # noqa: F821
env.cr.execute("ANALYZE stock_quant")  # noqa: F821
env.cr.execute("ANALYZE stock_location")  # noqa: F821
Line = env["service.contract.stock.commitment"]  # noqa: F821
Shortfall = env["service.stock.shortfall"]  # noqa: F821
lines = Line.search_count([("contract_id.state", "=", "active"), ("location_id", "!=", False)])


def run_check():
    env.flush_all()  # noqa: F821
    env.invalidate_all()  # noqa: F821
    queries = env.cr.sql_log_count  # noqa: F821
    start = time.perf_counter()
    Line._cron_check_stock()
    env.flush_all()  # noqa: F821
    return time.perf_counter() - start, env.cr.sql_log_count - queries  # noqa: F821


first, first_queries = run_check()
opened = Shortfall.search_count([("contract_id", "in", contracts.ids), ("state", "=", "open")])
second, second_queries = run_check()
batches = -(-lines // 1000)
print(f"{lines:,} active commitment lines, {batches} batches of 1,000")
print(f"run 1 (opens {opened:,} shortfall periods): {first:.2f} s, {first_queries} queries")
print(f"run 2 (all still short, steady state): {second:.2f} s, {second_queries} queries")
per_batch = f"{first_queries / batches:.1f} and {second_queries / batches:.1f}"
print(f"target: < 10 s; queries per batch of 1,000 lines: {per_batch}")
env.cr.rollback()  # noqa: F821
