import os

import polib

from odoo.tests import TransactionCase, tagged

I18N = os.path.join(os.path.dirname(__file__), "..", "i18n")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_zh_cn_translates_every_term_of_the_template(self):
        pot = polib.pofile(os.path.join(I18N, "barcode_device_service.pot"))
        po = polib.pofile(os.path.join(I18N, "zh_CN.po"))
        self.assertEqual({e.msgid for e in po}, {e.msgid for e in pot}, "zh_CN.po is not merged")
        untranslated = [e.msgid for e in po if not e.msgstr]
        self.assertFalse(untranslated, "untranslated zh_CN terms")

    def test_chinese_loads_into_odoo(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["barcode_device_service"], ["zh_CN"])
        field = self.env["ir.model.fields"]._get("maintenance.equipment", "customer_id")
        self.assertEqual(field.with_context(lang="zh_CN").field_description, "客户")
