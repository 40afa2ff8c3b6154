# odoo-shell
"""Creating 2,000 work orders with SLA lines against 2,000 plain maintenance.request.

Target: at most 1.5x. The work orders are on devices under an active contract in a business-
hours calendar (the deadlines are computed in working time); the plain ones have no device.
Run with `make bench`; everything is rolled back.
"""

import time

from bench_setup import contract_with_devices

COUNT = 2000
Request = env["maintenance.request"].with_context(tracking_disable=True)  # noqa: F821
contract, devices = contract_with_devices(
    env,  # noqa: F821
    env.ref("resource.resource_calendar_std"),  # noqa: F821
    count=200,
)


def timed(vals_list):
    env.flush_all()  # noqa: F821
    start = time.perf_counter()
    Request.create(vals_list)
    env.flush_all()  # noqa: F821
    return time.perf_counter() - start


timed([{"name": "warm-up"} for _ in range(20)])
plain = timed([{"name": f"Plain {i}"} for i in range(COUNT)])
with_sla = timed(
    [
        {
            "name": f"Printer fault {i}",
            "equipment_id": devices[i % len(devices)].id,
            "severity": ("p1", "p2", "p3", "p4")[i % 4],
            "is_on_site": bool(i % 2),
        }
        for i in range(COUNT)
    ]
)
lines = env["service.sla.line"].search_count([("contract_id", "=", contract.id)])  # noqa: F821
print(f"plain maintenance.request: {COUNT} in {plain:.2f} s ({plain / COUNT * 1000:.2f} ms each)")
print(f"work orders with SLA: {COUNT} in {with_sla:.2f} s ({with_sla / COUNT * 1000:.2f} ms each)")
print(f"SLA lines created: {lines}")
print(f"ratio with SLA / plain: {with_sla / plain:.2f} (target <= 1.5)")
env.cr.rollback()  # noqa: F821
