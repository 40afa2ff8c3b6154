# odoo-shell
"""Posting a customer invoice of 200 lines of locked parts, with and without the price-lock check.

Target: at most 1.2x. The customer has an active contract locking 50 spare parts; the invoice
bills them at the locked price (so the check passes and the post completes). "Without" posts
the same invoice with the addon's check switched off for the run (the method replaced by a
no-op on the registry class, then restored), so both figures come from the same database and
process. Each variant is posted nine times, alternating; the best wall-clock time of each is
compared (the machine is shared), and the best CPU time of this process is printed beside it.
Run with `make bench`; everything is rolled back.
"""

import time

from odoo import Command

LINES = 200
PARTS = 50
ROUNDS = 9

company = env.company  # noqa: F821
if not env["account.journal"].search_count(  # noqa: F821
    [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
):
    # A database without demo data may have no chart of accounts yet.
    Chart = env["account.chart.template"]  # noqa: F821
    Chart.try_loading("generic_coa", company=company, install_demo=False)
customer = env["res.partner"].create({"name": "Bench Plant", "is_company": True})  # noqa: F821
parts = env["product.product"].create(  # noqa: F821
    [{"name": f"Bench spare {i}", "lst_price": 100.0, "is_storable": True} for i in range(PARTS)]
)
contract = env["service.contract"].create(  # noqa: F821
    {
        "partner_id": customer.id,
        "date_start": "2020-01-01",
        "date_end": "2099-12-31",
        "price_lock_ids": [
            Command.create({"product_id": part.id, "price_unit": 90.0}) for part in parts
        ],
    }
)
contract.action_activate()
Move = env["account.move"].with_context(tracking_disable=True)  # noqa: F821
MoveClass = type(Move)


def invoice():
    return Move.create(
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": "2024-06-01",
            "invoice_line_ids": [
                Command.create(
                    {"product_id": parts[i % PARTS].id, "quantity": 1 + i % 3, "price_unit": 90.0}
                )
                for i in range(LINES)
            ],
        }
    )


def timed_post():
    move = invoice()
    env.flush_all()  # noqa: F821
    env.invalidate_all()  # noqa: F821
    queries = env.cr.sql_log_count  # noqa: F821
    start, cpu = time.perf_counter(), time.process_time()
    move.action_post()
    env.flush_all()  # noqa: F821
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert move.state == "posted"
    return elapsed, cpu, env.cr.sql_log_count - queries  # noqa: F821


def without_check():
    MoveClass._check_price_locks = lambda self: None
    try:
        return timed_post()
    finally:
        del MoveClass._check_price_locks


timed_post()  # warm-up
with_check, without = [], []
for _round in range(ROUNDS):
    with_check.append(timed_post())
    without.append(without_check())
for label, runs in (("without", without), ("with", with_check)):
    wall = min(run[0] for run in runs)
    cpu = min(run[1] for run in runs)
    print(
        f"post {LINES} lines {label} the lock check: {wall:.3f} s wall, {cpu:.3f} s CPU "
        f"({runs[0][2]} queries)"
    )
ratio = min(run[0] for run in with_check) / min(run[0] for run in without)
cpu_ratio = min(run[1] for run in with_check) / min(run[1] for run in without)
print(f"ratio with / without: {ratio:.2f} wall, {cpu_ratio:.2f} CPU (target <= 1.2)")
env.cr.rollback()  # noqa: F821
