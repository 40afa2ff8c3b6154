from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Version 18.0.1.0.0 installed over existing work orders gave them all one access token
    (any one of them opened every such work order in the portal): each gets its own.

    It also put *Waiting for Customer* after *Repaired* in the status bar (same sequence,
    later id); the stage is noupdate data, so an upgrade moves it only if nobody has."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["maintenance.request"]._refill_access_tokens()
    waiting = env.ref(
        "barcode_device_service.maintenance_stage_waiting_customer", raise_if_not_found=False
    )
    if waiting and waiting.sequence == 3:
        waiting.sequence = 2
