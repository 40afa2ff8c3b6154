"""Data the odoo-shell benchmarks build before they measure.

`scripts/bench.sh` puts this folder on PYTHONPATH (the scripts reach `odoo-bin shell` on its
standard input, so they cannot import a sibling file by path).
"""

from odoo import Command


def contract_with_devices(env, calendar, count=1, name="Bench"):
    """An active contract counting in ``calendar`` over ``count`` new devices of a new
    customer, valid from 2020 to 2099: returns ``(contract, devices)``."""
    customer = env["res.partner"].create({"name": f"{name} Customer", "is_company": True})
    devices = env["maintenance.equipment"].create(
        [{"name": f"{name} device {i}", "customer_id": customer.id} for i in range(count)]
    )
    contract = env["service.contract"].create(
        {
            "partner_id": customer.id,
            "date_start": "2020-01-01",
            "date_end": "2099-12-31",
            "resource_calendar_id": calendar.id,
            "company_id": calendar.company_id.id or env.company.id,
            "device_ids": [Command.set(devices.ids)],
        }
    )
    contract.action_activate()
    return contract, devices
