"""The service report of a work order with 20 parts, 20 checklist lines and 5 phone photos,
rendered to PDF by wkhtmltopdf over HTTP as the technician prints it. Target: under 2 s
(median of 5) and under 3 MB.

Runs with the virtualenv's python (`make bench`, or `scripts/bench.sh service_report`) on a
served copy of the benchmark database (benchmarks/lib/bench_http.py).
"""

import statistics
import time

from bench_http import login, served

RUNS = 5
TARGET_S = 2.0
TARGET_MB = 3.0
REPORT = "barcode_device_service.report_service_work_order_document"

BUILD = r"""
import base64, io, json, random
from PIL import Image
from odoo import Command

def photo(seed):
    # A phone photo: 3000 x 2000, noisy enough to weigh what a real one weighs (~2 MB).
    rng = random.Random(seed)
    image = Image.effect_noise((3000, 2000), 60).convert("RGB")
    image.paste((rng.randrange(256), 120, 90), (0, 0, 1500, 1000))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()

customer = env["res.partner"].create({"name": "Bench report customer", "is_company": True,
                                      "street": "1288 Anting Road", "city": "Shanghai"})
model = env["product.product"].create({"name": "Bench ZT411", "is_serviced_device": True,
                                       "tracking": "serial"})
device = env["maintenance.equipment"].create({"name": "Bench printer", "customer_id": customer.id,
                                              "product_id": model.id, "serial_no": "99J2045"})
parts = env["product.product"].create([
    {"name": f"Bench part {i}", "is_storable": True, "is_spare_part": True, "list_price": 10 + i}
    for i in range(20)
])
work_order = env["maintenance.request"].create({
    "name": "Bench report", "equipment_id": device.id, "is_on_site": True,
    "diagnosis": "Print head worn; cleaned and adjusted. " * 5,
})
env["maintenance.request.part"].create([
    {"request_id": work_order.id, "product_id": part.id, "quantity": 1} for part in parts
])
env["service.checklist.line"].create([
    {"request_id": work_order.id, "sequence": i, "name": f"Check {i}", "is_done": True,
     "value": f"Value {i}", "note": "Fine."}
    for i in range(20)
])
env["ir.attachment"].create([
    {"name": f"photo{i}.jpg", "raw": photo(i), "mimetype": "image/jpeg",
     "res_model": "maintenance.request", "res_id": work_order.id}
    for i in range(5)
])
env.cr.commit()
print("BENCH-DATA " + json.dumps({"work_order": work_order.id}))
"""


def main():
    with served("service_report", BUILD) as (db, base, data):
        session = login(base, db, "admin", "admin")
        url = f"{base}/report/pdf/{REPORT}/{data['work_order']}"
        session.get(url, timeout=120).raise_for_status()  # warm-up: assets, fonts
        times, size = [], 0
        for _run in range(RUNS):
            start = time.perf_counter()
            response = session.get(url, timeout=120)
            times.append(time.perf_counter() - start)
            response.raise_for_status()
            if not response.content.startswith(b"%PDF"):
                raise SystemExit("The report did not come back as a PDF.")
            size = len(response.content) / 1024 / 1024
        median = statistics.median(times)
        print(
            f"service report, 20 parts, 20 checks, 5 photos: median {median:.2f} s, {size:.2f} MB"
        )
        print(f"targets: under {TARGET_S} s and under {TARGET_MB} MB")
        print("OK" if median < TARGET_S and size < TARGET_MB else "TARGET MISSED")


if __name__ == "__main__":
    main()
