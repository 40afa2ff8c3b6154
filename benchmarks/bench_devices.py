# odoo-shell
"""Device creation cost and the barcode lookup plan.

1. 10,000 devices (customer, site, model, serial, state; barcode from the sequence, label
   token) against 10,000 plain maintenance.equipment (a name only), in the same run, each
   created in one batch, best of three rounds. Target: devices cost at most 1.5x plain.
   "plain" is measured twice: through the installed model (our create also numbers plain
   equipment) and through core's create alone (our override skipped), the stricter base.
   For scale, the per-record sequence call the batch replaces is timed too.
2. With 100,000 devices, EXPLAIN of the lookup by barcode (the scan): an index scan.
Run with `make bench` (odoo-bin shell, `env` given); everything is rolled back.
"""

import time

from odoo.tools import SQL

COUNT = 10_000
ROUNDS = 3
Equipment = env["maintenance.equipment"].with_context(tracking_disable=True)  # noqa: F821
company = env.company  # noqa: F821
customer = env["res.partner"].create({"name": "Bench Customer", "is_company": True})  # noqa: F821
site = env["res.partner"].create(  # noqa: F821
    {"name": "Bench Plant", "type": "delivery", "parent_id": customer.id}
)
product = env["product.product"].create(  # noqa: F821
    {"name": "Bench Printer", "is_storable": True, "tracking": "serial", "is_serviced_device": True}
)
# The class this addon adds to maintenance.equipment: calling create() past it is core's.
ours = next(
    cls
    for cls in type(Equipment).__mro__
    if cls.__module__.endswith("barcode_device_service.models.maintenance_equipment")
)


def core_create(vals_list):
    return super(ours, Equipment).create(vals_list)


def timed(create, vals_list):
    env.flush_all()  # noqa: F821
    start = time.perf_counter()
    create(vals_list)
    env.flush_all()  # noqa: F821
    elapsed = time.perf_counter() - start
    env.invalidate_all()  # noqa: F821
    return elapsed


def plain_vals(tag):
    return [{"name": f"Equipment {tag} {i}"} for i in range(COUNT)]


def device_vals(tag):
    return [
        {
            "name": "Bench Printer",
            "customer_id": customer.id,
            "site_id": site.id,
            "product_id": product.id,
            "serial_no": f"BENCH-{tag}-{i:07d}",
            "firmware_version": "V85.20.23Z",
            "device_state": "installed",
        }
        for i in range(COUNT)
    ]


# Warm-up so no side pays for first-use caches.
timed(Equipment.create, [{"name": "warm-up"} for _ in range(50)])
timed(core_create, [{"name": "warm-up core"} for _ in range(50)])
best = {"core": [], "plain": [], "devices": []}
runs = [
    ("core", lambda tag: timed(core_create, plain_vals(f"c{tag}"))),
    ("plain", lambda tag: timed(Equipment.create, plain_vals(f"p{tag}"))),
    ("devices", lambda tag: timed(Equipment.create, device_vals(tag))),
]
for round_no in range(ROUNDS):
    # Each round starts with another kind: the table grows as the rounds go.
    for key, run in runs[round_no % 3 :] + runs[: round_no % 3]:
        best[key].append(run(round_no))
core, plain, devices = (min(best[key]) for key in ("core", "plain", "devices"))


def line(label, seconds):
    return f"{label}: {COUNT} in {seconds:.2f} s ({seconds / COUNT * 1000:.3f} ms each)"


print(line("plain maintenance.equipment, core create only", core))
print(line("plain maintenance.equipment, installed model ", plain))
print(line("devices                                      ", devices))
print(f"ratio devices / plain (core create): {devices / core:.2f} (target <= 1.5)")
print(f"ratio devices / plain (installed model): {devices / plain:.2f} (target <= 1.5)")

Sequence = env["ir.sequence"]  # noqa: F821
start = time.perf_counter()
for _ in range(1000):
    Sequence.next_by_code("maintenance.equipment.barcode")
per_call = (time.perf_counter() - start) / 1000
start = time.perf_counter()
Equipment._next_device_barcodes(company, COUNT)
batch = time.perf_counter() - start
print(
    f"barcode numbers for {COUNT}: one next_by_code each would take {per_call * COUNT:.2f} s, "
    f"the batch took {batch:.3f} s"
)

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
wanted = f"BULK{max(1, missing // 2):07d}"
env.cr.execute("SELECT count(*) FROM maintenance_equipment")  # noqa: F821
print(f"devices in the table: {env.cr.fetchone()[0]}")  # noqa: F821
# As the superuser (no record rules) and as an internal user with the multi-company rule.
admin = env.ref("base.user_admin")  # noqa: F821
for label, model in (
    ("superuser", Equipment),
    ("admin user, record rules", Equipment.with_user(admin)),
):
    query = model._search([("barcode", "=", wanted)])
    env.cr.execute(SQL("EXPLAIN ANALYZE %s", query.select()))  # noqa: F821
    plan = "\n".join(row[0] for row in env.cr.fetchall())  # noqa: F821
    print(f"EXPLAIN ANALYZE search([('barcode', '=', {wanted!r})]) as {label}:")
    print(plan)
    print("index scan:", "Index" in plan and "Seq Scan on maintenance_equipment" not in plan)
env.cr.rollback()  # noqa: F821
