from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Version 18.0.1.3.0 closes the ledger's periods on the contract (the period job moved
    from service.ledger.entry to service.contract). The job's record is noupdate data: point
    it at its new model here, keeping its schedule and whether it is active."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("barcode_device_service.ir_cron_ledger_close_periods", raise_if_not_found=False)
    if cron:
        cron.write(
            {
                "model_id": env.ref("barcode_device_service.model_service_contract").id,
                "code": "model._cron_close_periods()",
            }
        )
