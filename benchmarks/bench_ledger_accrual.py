# odoo-shell
"""What penalty rules add to the SLA detection job.

The job turns 1,000 due milestones (500 P1 work orders, response and resolution) to breached,
on a contract without rules and on a contract whose rules price every breach (a fixed amount
and a share of the fee: 2,000 draft entries). Three rounds, in alternating order, in the
same run; the medians are compared. Target: with rules at most 1.2x without. Run with
`make bench`; everything is rolled back.
"""

import statistics
import time
from datetime import timedelta

from bench_setup import contract_with_devices

from odoo import fields
from odoo.modules import module as odoo_module

# The job commits after each batch; here everything must be rolled back at the end, so the
# run is flagged like a test run, in which the job does not commit.
odoo_module.current_test = True

WORK_ORDERS = 500
ROUNDS = 3
calendar = env.ref("barcode_device_service.resource_calendar_7x24")  # noqa: F821
Request = env["maintenance.request"].with_context(tracking_disable=True)  # noqa: F821
Line = env["service.sla.line"]  # noqa: F821
Entry = env["service.ledger.entry"]  # noqa: F821

plain, plain_devices = contract_with_devices(env, calendar, name="No rules")  # noqa: F821
ruled, ruled_devices = contract_with_devices(env, calendar, name="Rules")  # noqa: F821
ruled.monthly_fee = 6800
env["service.penalty.rule"].create(  # noqa: F821
    [
        {"contract_id": ruled.id, "computation": "fixed", "amount": 500, "date_from": "2020-01-01"},
        {
            "contract_id": ruled.id,
            "computation": "fee_percent",
            "percent": 2,
            "date_from": "2020-01-01",
        },
        {"contract_id": ruled.id, "rule_type": "cap", "percent": 15, "date_from": "2020-01-01"},
    ]
)


def due_work_orders(device):
    requests = Request.create(
        [
            {"name": f"Due {i}", "equipment_id": device.id, "severity": "p1"}
            for i in range(WORK_ORDERS)
        ]
    )
    # Started a day ago: every milestone is past its deadline.
    requests.sla_line_ids.write({"start_at": fields.Datetime.now() - timedelta(days=1)})
    requests.sla_line_ids._schedule()
    env.flush_all()  # noqa: F821
    env.invalidate_all()  # noqa: F821
    return requests


def run_job(device):
    due_work_orders(device)
    start = time.perf_counter()
    Line._cron_check_sla()
    env.flush_all()  # noqa: F821
    return time.perf_counter() - start


# Warm-up: caches, prepared plans.
run_job(plain_devices)
run_job(ruled_devices)
without, with_rules = [], []
for round_ in range(ROUNDS):
    order = [(plain_devices, without), (ruled_devices, with_rules)]
    for device, times in order if round_ % 2 else reversed(order):
        times.append(run_job(device))

breaches = Line.search_count([("contract_id", "=", ruled.id), ("state", "=", "breached")])
entries = Entry.search_count([("contract_id", "=", ruled.id)])
a, b = statistics.median(without), statistics.median(with_rules)
print(f"rounds: {ROUNDS}, {2 * WORK_ORDERS:,} breaches a run")
print(f"without rules: {a:.2f} s (runs: {', '.join(f'{t:.2f}' for t in without)})")
print(f"with rules:    {b:.2f} s (runs: {', '.join(f'{t:.2f}' for t in with_rules)})")
print(f"ledger entries accrued: {entries:,} for {breaches:,} breaches")
print(f"ratio with / without: {b / a:.2f} (target <= 1.2)")
env.cr.rollback()  # noqa: F821
