# odoo-shell
"""Device creation cost and the barcode lookup plan.

1. 10,000 devices (customer, site, model, serial, barcode from the sequence, label token)
   against 10,000 plain maintenance.equipment (a name only), created the same way in the
   same run. Target: devices cost at most 1.5x.
2. With 100,000 devices, EXPLAIN of the lookup by barcode (the scan): an index scan.
Run with `make bench` (odoo-bin shell, `env` given); everything is rolled back.
"""

import time

from odoo.tools import SQL

COUNT = 10_000
Equipment = env["maintenance.equipment"].with_context(tracking_disable=True)  # noqa: F821
company = env.company  # noqa: F821
customer = env["res.partner"].create({"name": "Bench Customer", "is_company": True})  # noqa: F821
site = env["res.partner"].create(  # noqa: F821
    {"name": "Bench Plant", "type": "delivery", "parent_id": customer.id}
)
product = env["product.product"].create(  # noqa: F821
    {"name": "Bench Printer", "is_storable": True, "tracking": "serial", "is_serviced_device": True}
)


def timed(vals_list):
    env.flush_all()  # noqa: F821
    start = time.perf_counter()
    Equipment.create(vals_list)
    env.flush_all()  # noqa: F821
    return time.perf_counter() - start


# Warm-up so neither side pays for first-use caches.
timed([{"name": "warm-up"} for _ in range(50)])
plain = timed([{"name": f"Equipment {i}"} for i in range(COUNT)])
devices = timed(
    [
        {
            "name": "Bench Printer",
            "customer_id": customer.id,
            "site_id": site.id,
            "product_id": product.id,
            "serial_no": f"BENCH-{i:07d}",
            "firmware_version": "V85.20.23Z",
            "device_state": "installed",
        }
        for i in range(COUNT)
    ]
)
print(f"plain maintenance.equipment: {COUNT} in {plain:.2f} s ({plain / COUNT * 1000:.3f} ms each)")
print(f"devices: {COUNT} in {devices:.2f} s ({devices / COUNT * 1000:.3f} ms each)")
print(f"ratio devices / plain: {devices / plain:.2f} (target <= 1.5)")

# 100,000 devices: the rest as bulk rows straight in SQL (the lookup plan is measured here).
env.cr.execute("SELECT count(*) FROM maintenance_equipment")  # noqa: F821
missing = max(0, 100_000 - env.cr.fetchone()[0])  # noqa: F821
env.cr.execute(  # noqa: F821
    """
    INSERT INTO maintenance_equipment
        (name, company_id, customer_id, effective_date, device_state, barcode, label_token,
         serial_no, active)
    SELECT jsonb_build_object('en_US', 'Bulk ' || n), %s, %s, CURRENT_DATE, 'installed',
           'BULK' || lpad(n::text, 7, '0'), md5(random()::text || n), 'BULK-SN-' || n, true
      FROM generate_series(1, %s) AS n
    """,
    (company.id, customer.id, missing),
)
env.cr.execute("ANALYZE maintenance_equipment")  # noqa: F821
env.cr.execute("SELECT count(*) FROM maintenance_equipment")  # noqa: F821
print(f"devices in the table: {env.cr.fetchone()[0]}")  # noqa: F821
query = Equipment._search([("barcode", "=", "BULK0054321")])
env.cr.execute(SQL("EXPLAIN %s", query.select()))  # noqa: F821
plan = "\n".join(row[0] for row in env.cr.fetchall())  # noqa: F821
print("EXPLAIN search([('barcode', '=', 'BULK0054321')]):")
print(plan)
print("index scan:", "Index" in plan and "Seq Scan" not in plan)
env.cr.rollback()  # noqa: F821
