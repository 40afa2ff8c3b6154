import logging
from contextlib import contextmanager

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user


class DeviceServiceCase(TransactionCase):
    """Own data for every test class: two companies, users per group, customers with sites,
    and a serial-tracked "serviced device" product. Never demo records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Label Printers Ltd"})
        cls.company_2 = cls.env["res.company"].create({"name": "Scanners Overseas Ltd"})
        common = {"company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)]}
        cls.technician = new_test_user(
            cls.env,
            login="bds_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
            **common,
        )
        cls.manager = new_test_user(
            cls.env,
            login="bds_manager",
            groups="base.group_user,barcode_device_service.group_device_service_manager",
            **common,
        )
        cls.internal_user = new_test_user(
            cls.env, login="bds_internal", groups="base.group_user", **common
        )
        cls.manager_company_2 = new_test_user(
            cls.env,
            login="bds_manager_2",
            groups="base.group_user,barcode_device_service.group_device_service_manager",
            company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)],
        )
        cls.portal_user = new_test_user(cls.env, login="bds_portal", groups="base.group_portal")

        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {
                "name": "Shanghai Auto Parts Co.",
                "is_company": True,
                "email": "service@shanghai-auto.example.com",
            }
        )
        cls.site = Partner.create(
            {
                "name": "Plant 2, Jiading",
                "type": "delivery",
                "parent_id": cls.customer.id,
                "street": "88 Anting Road",
                "city": "Shanghai",
            }
        )
        cls.customer_2 = Partner.create({"name": "Suzhou Logistics Ltd", "is_company": True})
        cls.site_2 = Partner.create(
            {"name": "Warehouse North", "type": "delivery", "parent_id": cls.customer_2.id}
        )
        cls.device_product = cls.env["product.product"].create(
            {
                "name": "ZT411 Industrial Label Printer",
                "is_storable": True,
                "tracking": "serial",
                "is_serviced_device": True,
                "device_warranty_months": 24,
                "company_id": False,
            }
        )
        cls.spare_part = cls.env["product.product"].create(
            {"name": "Print Head 203 dpi", "is_storable": True, "company_id": False}
        )
        cls.Device = cls.env["maintenance.equipment"].with_company(cls.company)

    @classmethod
    def create_device(cls, **vals):
        values = {
            "name": "ZT411 at Plant 2",
            "customer_id": cls.customer.id,
            "site_id": cls.site.id,
            "product_id": cls.device_product.id,
            "company_id": cls.company.id,
        }
        values.update(vals)
        return cls.Device.create(values)


class DevicePortalCase(HttpCase):
    """Two customers of two companies, each with a portal contact, a contract on business
    hours in Shanghai, a device under it and a work order; plus an anonymous visitor (no
    login). The portal tests try every route as the owner, as the other customer and as
    nobody. Never demo records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Label Printers Ltd"})
        cls.company_2 = cls.env["res.company"].create({"name": "Scanners Overseas Ltd"})
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai office hours",
                "tz": "Asia/Shanghai",
                "company_id": False,
                "attendance_ids": [
                    Command.create(
                        {"name": f"Day {day}", "dayofweek": day, "hour_from": 9, "hour_to": 18}
                    )
                    for day in "01234"
                ],
            }
        )
        cls.device_product = cls.env["product.product"].create(
            {
                "name": "ZT411 Industrial Label Printer",
                "is_storable": True,
                "tracking": "serial",
                "is_serviced_device": True,
                "company_id": False,
            }
        )
        cls.stage_new = cls.env.ref("maintenance.stage_0")
        cls.stage_done = cls.env.ref("maintenance.stage_3")
        (cls.customer, cls.portal_user, cls.device, cls.contract, cls.work_order) = (
            cls._portal_customer(cls.company, "Shanghai Auto Parts Co.", "bds_portal_a")
        )
        (cls.customer_2, cls.portal_user_2, cls.device_2, cls.contract_2, cls.work_order_2) = (
            cls._portal_customer(cls.company_2, "Suzhou Logistics Ltd", "bds_portal_b")
        )

    @classmethod
    def _portal_customer(cls, company, name, login):
        """A customer company with a contact who logs into the portal (password: the
        login), a device under an active contract and one open work order on it."""
        customer = cls.env["res.partner"].create(
            {"name": name, "is_company": True, "company_id": company.id}
        )
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            groups="base.group_portal",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
            tz="Asia/Shanghai",
        )
        user.partner_id.write({"parent_id": customer.id})
        device = cls.env["maintenance.equipment"].create(
            {
                "name": f"ZT411 at {name}",
                "customer_id": customer.id,
                "product_id": cls.device_product.id,
                "serial_no": f"SN-{login}",
                "company_id": company.id,
            }
        )
        contract = cls.env["service.contract"].create(
            {
                "partner_id": customer.id,
                # Long enough for the clock of the day the tests run and for the frozen
                # clocks of the tests.
                "date_start": "2020-01-01",
                "date_end": "2099-12-31",
                "resource_calendar_id": cls.calendar.id,
                "device_ids": [Command.set(device.ids)],
                "company_id": company.id,
                "monthly_fee": 1000,
            }
        )
        contract.action_activate()
        team = cls.env["maintenance.team"].create(
            {"name": f"Field team {name}", "company_id": company.id}
        )
        work_order = cls.env["maintenance.request"].create(
            {
                "name": f"Printer of {name} does not feed labels",
                "equipment_id": device.id,
                "severity": "p2",
                "stage_id": cls.stage_new.id,
                "company_id": company.id,
                "maintenance_team_id": team.id,
            }
        )
        return customer, user, device, contract, work_order


@contextmanager
def sql_errors_logged():
    """The warnings and errors the database logger records in the block. A filter sees every
    record, muted or not: expected conflicts (locks, unique keys) must be neither logged nor
    hidden by muting the logger, which is global state and not thread-safe."""
    logger = logging.getLogger("odoo.sql_db")
    records = []
    watch = logging.Filter()
    watch.filter = lambda record: records.append(record) or True
    state = (list(logger.handlers), logger.propagate, logger.disabled)
    logger.addFilter(watch)
    try:
        yield records
    finally:
        logger.removeFilter(watch)
    assert state == (list(logger.handlers), logger.propagate, logger.disabled), "logger changed"
    records[:] = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
