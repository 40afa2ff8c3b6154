from odoo import SUPERUSER_ID, api, fields
from odoo.addons.barcode_device_service.tools import penalty


def migrate(cr, version):
    """Version 18.0.1.2.0 bills the contracts' monthly fees and offers only spare parts on
    work orders.

    Contracts that exist at the upgrade were billed some other way until now (by hand): the
    job starts with the next month, never billing again a month of the past or the current
    one. Products already used as parts, locked or held for customers are spare parts."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    now = fields.Datetime.now()
    contracts = (
        env["service.contract"]
        .with_context(active_test=False)
        .search([("fee_billed_period", "=", False)])
    )
    for calendar, group in contracts.grouped("resource_calendar_id").items():
        group.fee_billed_period = penalty.period_of(now, calendar.tz or "UTC")

    used = (
        env["maintenance.request.part"].search([]).product_id
        | env["service.contract.price.lock"].with_context(active_test=False).search([]).product_id
        | env["service.contract.stock.commitment"]
        .with_context(active_test=False)
        .search([])
        .product_id
    )
    used.product_tmpl_id.filtered(lambda t: not t.is_spare_part).is_spare_part = True

    # The contracts' own shelves move beside WH/Stock (parts held for a customer are not
    # the company's free stock), and their rules take the refill route from WH/Stock.
    contracts = (
        env["service.contract"]
        .with_context(active_test=False)
        .search([("stock_location_id", "!=", False)])
    )
    contracts.warehouse_id._ensure_service_shelves()
    for contract in contracts:
        shelves = contract.warehouse_id.service_shelf_location_id
        if shelves and contract.stock_location_id.location_id != shelves:
            contract.stock_location_id.location_id = shelves
    contracts.filtered(lambda c: c.state == "active").stock_commitment_ids._sync_orderpoints()
