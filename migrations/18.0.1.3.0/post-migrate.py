from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Version 18.0.1.3.0 closes the ledger's periods on the contract (the period job moved
    from service.ledger.entry to service.contract), and brings technicians a group of their
    own under the desk's. The job's record and the record rules are noupdate data: point the
    job at its new model, keeping its schedule and whether it is active, and let
    technicians see every device as the desk does."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("barcode_device_service.ir_cron_ledger_close_periods", raise_if_not_found=False)
    if cron:
        cron.write(
            {
                "model_id": env.ref("barcode_device_service.model_service_contract").id,
                "code": "model._cron_close_periods()",
            }
        )
    rule = env.ref(
        "barcode_device_service.maintenance_equipment_rule_device_service_user",
        raise_if_not_found=False,
    )
    if rule:
        rule.groups = env.ref("barcode_device_service.group_device_service_technician")
