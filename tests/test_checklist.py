from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .test_sla_clock import SlaCase

# A 1x1 PNG: the photo a check asks for.
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9a"
    "wAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install")
class TestChecklist(SlaCase):
    """A work order gets its device model's procedure; resolving needs the required checks
    done with what they ask for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["service.checklist.template"].create(
            {
                "name": "Thermal printer service",
                "product_tmpl_id": cls.device_product.product_tmpl_id.id,
                "item_ids": [
                    Command.create({"sequence": 1, "name": "Clean the print head"}),
                    Command.create(
                        {"sequence": 2, "name": "Test print density", "expects": "value"}
                    ),
                    Command.create(
                        {"sequence": 3, "name": "Photo of the test label", "expects": "photo"}
                    ),
                    Command.create({"sequence": 4, "name": "Check the cutter", "required": False}),
                ],
            }
        )
        cls.scanner = cls.env["product.product"].create(
            {"name": "DS2208 Scanner", "is_serviced_device": True, "tracking": "serial"}
        )
        cls.category_template = cls.env["service.checklist.template"].create(
            {
                "name": "Any device of the category",
                "categ_id": cls.scanner.categ_id.id,
                "item_ids": [Command.create({"name": "Read a test barcode"})],
            }
        )

    def test_lines_from_the_device_model_in_order(self):
        work_order = self._request()
        self.assertEqual(
            work_order.checklist_line_ids.mapped("name"),
            [
                "Clean the print head",
                "Test print density",
                "Photo of the test label",
                "Check the cutter",
            ],
        )

    def test_resolving_needs_the_required_checks(self):
        work_order = self._request()
        lines = work_order.checklist_line_ids
        with self.assertRaises(UserError) as caught:
            work_order.stage_id = self.stage_repaired
        message = str(caught.exception)
        self.assertIn("Clean the print head", message)
        self.assertIn("Photo of the test label", message)
        self.assertNotIn("Check the cutter", message, "not required")
        lines[0].is_done = True
        lines[1].write({"is_done": True, "value": " "})
        lines[2].is_done = True
        with self.assertRaisesRegex(UserError, "Test print density"):
            work_order.stage_id = self.stage_repaired
        lines[1].value = "Density 18"
        lines[2].photo = PIXEL
        work_order.stage_id = self.stage_repaired
        self.assertTrue(work_order.stage_id.is_resolved)

    def test_a_new_device_brings_its_procedure_and_keeps_what_is_done(self):
        work_order = self._request()
        work_order.checklist_line_ids[0].is_done = True
        scanner = self.create_device(product_id=self.scanner.id, serial_no="DS-1", name="DS2208")
        work_order.equipment_id = scanner
        self.assertEqual(
            work_order.checklist_line_ids.mapped("name"),
            ["Clean the print head", "Read a test barcode"],
        )

    def test_a_template_needs_one_scope(self):
        with self.assertRaisesRegex(ValidationError, "choose a device model or a product category"):
            self.env["service.checklist.template"].create({"name": "Nothing"})

    def test_a_technician_ticks_the_checks_of_their_own_work_order(self):
        work_order = self._request()
        line = work_order.checklist_line_ids[0]
        line.with_user(self.technician).write({"is_done": True, "note": "Head worn"})
        self.assertTrue(line.is_complete)
