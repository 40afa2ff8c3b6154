from odoo.tests import TransactionCase, new_test_user


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
        cls.customer = Partner.create({"name": "Shanghai Auto Parts Co.", "is_company": True})
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
