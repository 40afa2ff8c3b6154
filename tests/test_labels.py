import base64

from reportlab.pdfbase import pdfmetrics

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from ..tools import labels
from .common import DeviceServiceCase
from .pdf_drawing import (
    decode_code128,
    decode_qr,
    page_fonts,
    page_rectangles,
    page_sizes,
    page_texts,
)


@tagged("post_install", "-at_install")
class TestLabelGeometry(DeviceServiceCase):
    """Label geometry is plain arithmetic: checked without rendering."""

    def assertMm(self, value, expected):
        self.assertAlmostEqual(value, expected, delta=0.05, msg=f"{value} mm != {expected} mm")

    def test_roll_label_is_62_by_29_mm(self):
        slot = labels.label_slot("roll_62x29", 0)
        self.assertEqual(labels.labels_per_page("roll_62x29"), 1)
        self.assertMm(slot.width, 62.0)
        self.assertMm(slot.height, 29.0)
        self.assertEqual((slot.x, slot.y), (0.0, 0.0))

    def test_a4_sheet_is_3_by_8_labels_of_70_by_37_mm(self):
        fmt = labels.LABEL_FORMATS["a4_3x8"]
        self.assertMm(fmt.page_width, 210.0)
        self.assertMm(fmt.page_height, 297.0)
        slots = [labels.label_slot("a4_3x8", i) for i in range(24)]
        for slot in slots:
            self.assertMm(slot.width, 70.0)
            self.assertMm(slot.height, 37.0)
            self.assertGreaterEqual(slot.x, 0)
            self.assertGreaterEqual(slot.y, 0)
            self.assertLessEqual(slot.x + slot.width, 210.0 + 1e-6)
            self.assertLessEqual(slot.y + slot.height, 297.0 + 1e-6)
        # Reading order: left to right, then top to bottom; no two labels overlap.
        self.assertMm(slots[1].x, 70.0)
        self.assertMm(slots[3].y, slots[0].y - 37.0)
        self.assertMm(slots[0].y + 37.0, 296.5)
        for index, a in enumerate(slots):
            for b in slots[index + 1 :]:
                overlap_x = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
                overlap_y = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
                self.assertFalse(overlap_x > 1e-6 and overlap_y > 1e-6, (a, b))

    def test_layout_parts_stay_inside_the_label(self):
        for label_format in labels.LABEL_FORMATS:
            slot = labels.label_slot(label_format, 0)
            parts = labels.label_layout(slot.width, slot.height)
            for name, box in parts.items():
                self.assertGreaterEqual(box.x, 0, name)
                self.assertGreaterEqual(box.y, 0, name)
                self.assertLessEqual(box.x + box.width, slot.width, name)
                self.assertLessEqual(box.y + box.height, slot.height, name)
            self.assertLessEqual(parts["barcode"].x + parts["barcode"].width, parts["qr"].x)
            self.assertAlmostEqual(parts["qr"].width, parts["qr"].height)

    def test_long_text_is_shrunk_then_cut_never_overflows(self):
        width = 30.0
        text, size = labels.fit_text("ZT411", "Helvetica", 8, width)
        self.assertEqual((text, size), ("ZT411", 8))
        long_name = "ZT411 Industrial Label Printer 203 dpi with cutter and rewinder, RFID"
        text, size = labels.fit_text(long_name, "Helvetica", 8, width)
        self.assertEqual(size, labels.MIN_FONT_SIZE)
        self.assertTrue(text.endswith("…"))
        self.assertLessEqual(
            pdfmetrics.stringWidth(text, "Helvetica", size), width * 72 / 25.4 + 1e-6
        )
        text, size = labels.fit_text("ZT411 Industrial Label Printer 203dpi", "Helvetica", 8, width)
        self.assertLess(size, 8)
        self.assertFalse(text.endswith("…"))

    def test_module_width_fits_or_refuses(self):
        module = labels.module_width_for("DEV000001", 36.0)
        self.assertGreaterEqual(module, labels.MIN_MODULE_MM)
        self.assertLessEqual(module, labels.MAX_MODULE_MM)
        with self.assertRaises(ValueError):
            labels.module_width_for("X" * 80, 36.0)


@tagged("post_install", "-at_install")
class TestLabelPdf(DeviceServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.service_desk_phone = "+86 21 5555 0100"
        cls.device = cls.create_device(serial_no="99J204501234", barcode="DEV-0042/a")

    def _bars(self, rectangles, bar_box):
        return [
            (x, w)
            for x, y, w, h in rectangles
            if abs(y - bar_box.y) < 0.01 and abs(h - bar_box.height) < 0.01
        ]

    def _check_label(self, label_format, rectangles, slot, device):
        parts = labels.label_layout(slot.width, slot.height)
        bar_box = parts["barcode"]
        bars = self._bars([(x - slot.x, y - slot.y, w, h) for x, y, w, h in rectangles], bar_box)
        bars = [(x, w) for x, w in bars if x < parts["qr"].x]
        self.assertEqual(decode_code128(bars), device.barcode)
        # The bars and their quiet zones stay in the barcode box.
        self.assertGreaterEqual(min(x for x, _w in bars), bar_box.x)
        self.assertLessEqual(max(x + w for x, w in bars), bar_box.x + bar_box.width)
        qr = parts["qr"]
        text = decode_qr(rectangles, (slot.x + qr.x, slot.y + qr.y, qr.width, qr.height))
        self.assertEqual(text, device.service_url)

    def test_roll_label_barcode_and_qr_scan_back(self):
        pdf = self.device._render_device_labels("roll_62x29")
        self.assertTrue(pdf.startswith(b"%PDF"))
        [(width, height)] = page_sizes(pdf)
        self.assertAlmostEqual(width, 62.0, delta=0.05)
        self.assertAlmostEqual(height, 29.0, delta=0.05)
        [rectangles] = page_rectangles(pdf)
        self._check_label("roll_62x29", rectangles, labels.label_slot("roll_62x29", 0), self.device)
        self.assertIn(
            f"{self.device.get_base_url()}/service/device/{self.device.label_token}",
            self.device.service_url,
        )

    def test_a4_sheets_paginate_and_every_label_scans(self):
        devices = self.device | self.Device.create(
            [
                {
                    "name": f"Scanner {i}",
                    "customer_id": self.customer.id,
                    "company_id": self.company.id,
                }
                for i in range(25)
            ]
        )
        pdf = devices._render_device_labels("a4_3x8")
        sizes = page_sizes(pdf)
        self.assertEqual(len(sizes), 2)
        self.assertAlmostEqual(sizes[0][0], 210.0, delta=0.05)
        self.assertAlmostEqual(sizes[0][1], 297.0, delta=0.05)
        pages = page_rectangles(pdf)
        # Check a few positions: first, last of the first row, last of the page, next page.
        for index in (0, 2, 23, 25):
            page, slot_index = divmod(index, 24)
            slot = labels.label_slot("a4_3x8", slot_index)
            in_slot = [
                r
                for r in pages[page]
                if slot.x <= r[0] < slot.x + slot.width and slot.y <= r[1] < slot.y + slot.height
            ]
            self._check_label("a4_3x8", in_slot, slot, devices[index])

    def test_regenerated_token_changes_the_qr_url(self):
        old_url = self.device.service_url
        self.device.with_user(self.manager).action_regenerate_label_token()
        self.assertNotEqual(self.device.service_url, old_url)
        [rectangles] = page_rectangles(self.device._render_device_labels("roll_62x29"))
        qr = labels.label_layout(62.0, 29.0)["qr"]
        self.assertEqual(decode_qr(rectangles, qr), self.device.service_url)

    def test_bad_requests_are_refused(self):
        with self.assertRaises(UserError):
            self.Device.browse()._render_device_labels("a4_3x8")
        with self.assertRaises(UserError):
            self.device._render_device_labels("a5_2x4")
        with self.assertRaises(ValidationError):
            self.device.barcode = "DEV-设备"

    def test_wizard_prints_the_selected_devices(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", "https://service.example.com"
        )
        wizard_form = Form(
            self.env["device.label.wizard"].with_context(default_device_ids=self.device.ids)
        )
        wizard_form.label_format = "a4_3x8"
        wizard = wizard_form.save()
        action = wizard.action_print()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/device.label.wizard/{wizard.id}/label_pdf/", action["url"])
        self.assertEqual(wizard.label_filename, "DEV-0042/a-a4_3x8.pdf".replace("/", "_"))
        self.assertTrue(wizard.label_pdf)

    def test_wizard_without_device_is_refused(self):
        wizard = self.env["device.label.wizard"].create({"label_format": "roll_62x29"})
        with self.assertRaises(UserError):
            wizard.action_print()


@tagged("post_install", "-at_install")
class TestLabelText(DeviceServiceCase):
    """Every text of a label is drawn in a font embedded in the PDF, whatever its script, and
    the fixed words are in the language of the company that prints."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["barcode_device_service"], ["zh_CN"])
        cls.company_cn = cls.env["res.company"].create(
            {"name": "上海条码设备有限公司", "service_desk_phone": "+86 21 5555 0100"}
        )
        cls.company_cn.partner_id.lang = "zh_CN"
        cls.device_cn = cls.Device.create(
            {
                "name": "二号厂标签打印机",
                "model": "斑马 ZT411 标签打印机",
                "serial_no": "99J204509999",
                "barcode": "DEV-CN-0001",
                "customer_id": cls.customer.id,
                "company_id": cls.company_cn.id,
            }
        )

    def assertFontsEmbedded(self, pdf):
        for fonts in page_fonts(pdf):
            self.assertTrue(fonts)
            not_embedded = [name for name, embedded in fonts.items() if not embedded]
            self.assertFalse(not_embedded, "fonts a reader without them shows as boxes")

    def test_chinese_label_extracts_back_with_embedded_fonts(self):
        self.assertNotEqual(self.env.lang, "zh_CN")
        pdf = self.device_cn._render_device_labels("roll_62x29")
        self.assertFontsEmbedded(pdf)
        [text] = page_texts(pdf)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        self.assertIn("上海条码设备有限公司", lines)
        self.assertIn("斑马 ZT411 标签打印机", lines)
        # The fixed words in the company's language, not the printing user's.
        self.assertIn("序列号 99J204509999", lines)
        self.assertIn("服务台 +86 21 5555 0100", lines)
        self.assertIn("DEV-CN-0001", lines)

    def test_latin_label_fonts_are_embedded(self):
        self.company.service_desk_phone = "+49 30 5555 0100"
        device = self.create_device(serial_no="99J204501234", barcode="DEV-0042")
        pdf = device._render_device_labels("a4_3x8")
        self.assertFontsEmbedded(pdf)
        [text] = page_texts(pdf)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        self.assertIn("Label Printers Ltd", lines)
        self.assertIn("S/N 99J204501234", lines)
        self.assertIn("Service desk +49 30 5555 0100", lines)

    def test_a_missing_font_names_its_package(self):
        with self.assertRaisesRegex(labels.LabelFontMissing, "fonts-example-missing"):
            labels.load_font(
                labels.LabelFont("Missing", "/nonexistent/missing.ttc", 0, "fonts-example-missing")
            )


@tagged("post_install", "-at_install")
class TestLabelBaseUrl(DeviceServiceCase):
    """The QR code holds web.base.url: a label printed with a URL only the server's network
    reaches is wrong for good, so the wizard shows the URL and asks first."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device = cls.create_device(barcode="DEV-0042")

    def _set_base_url(self, url):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", url)
        self.device.invalidate_recordset(["service_url"])

    def test_private_addresses(self):
        for url in (
            "http://localhost:8069",
            "http://LOCALHOST",
            "http://odoo.localhost",
            "http://127.0.0.1:8069",
            "http://127.1.2.3",
            "http://[::1]:8069",
            "http://0.0.0.0:8069",
            "http://10.1.2.3",
            "http://172.16.0.1",
            "http://172.31.255.254:8069",
            "http://192.168.1.20:8069",
            "http://169.254.10.1",
            "http://[fe80::1]",
            "http://[fd12:3456::1]",
            "http://printer-server.local",
            "http://printer-server.local.:8069",
            "http://odoo:8069",
            "",
            False,
        ):
            self.assertTrue(labels.is_private_url(url), url)
        for url in (
            "https://service.example.com",
            "https://odoo.example.com.cn:8443/",
            "https://local.example.com",
            "http://172.32.0.1",
            "http://172.15.255.1",
            "http://8.8.8.8",
            "http://[2001:4860:4860::8888]",
        ):
            self.assertFalse(labels.is_private_url(url), url)

    def test_private_base_url_is_shown_and_confirmed(self):
        self._set_base_url("http://192.168.1.20:8069")
        wizard_form = Form(
            self.env["device.label.wizard"].with_context(default_device_ids=self.device.ids)
        )
        self.assertTrue(wizard_form.label_url_is_private)
        self.assertEqual(wizard_form.label_url, "http://192.168.1.20:8069/service/device/")
        wizard = wizard_form.save()
        with self.assertRaisesRegex(UserError, "http://192.168.1.20:8069"):
            wizard.action_print()
        self.assertFalse(wizard.label_pdf)

        wizard_form = Form(wizard)
        wizard_form.confirm_label_url = True
        wizard = wizard_form.save()
        wizard.action_print()
        [rectangles] = page_rectangles(base64.b64decode(wizard.label_pdf))
        qr = labels.label_layout(62.0, 29.0)["qr"]
        self.assertTrue(decode_qr(rectangles, qr).startswith(wizard.label_url))

    def test_public_base_url_prints_without_confirmation(self):
        self._set_base_url("https://service.example.com")
        wizard_form = Form(
            self.env["device.label.wizard"].with_context(default_device_ids=self.device.ids)
        )
        self.assertFalse(wizard_form.label_url_is_private)
        self.assertEqual(wizard_form.label_url, "https://service.example.com/service/device/")
        wizard = wizard_form.save()
        wizard.action_print()
        self.assertTrue(wizard.label_pdf)
