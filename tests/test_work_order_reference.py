from odoo.tests import tagged

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestWorkOrderReference(DeviceServiceCase):
    def test_each_work_order_gets_its_own_reference(self):
        team = self.env["maintenance.team"].create({"name": "Desk", "company_id": self.company.id})
        Request = self.env["maintenance.request"].with_user(self.technician)
        first, second = Request.create(
            [
                {
                    "name": subject,
                    "equipment_id": self.create_device().id,
                    "company_id": self.company.id,
                    "maintenance_team_id": team.id,
                }
                for subject in ("Printhead worn", "Ribbon wrinkles")
            ]
        )
        self.assertRegex(first.reference, r"^WO/\d{4}/\d{5}$")
        self.assertNotEqual(first.reference, second.reference)
        # Found by its reference wherever a work order is chosen or searched.
        self.assertEqual(Request.name_search(first.reference), [(first.id, first.display_name)])
        copy = first.copy()
        self.assertNotIn(copy.reference, (first.reference, second.reference))
