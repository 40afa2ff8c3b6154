from odoo import api, models
from odoo.tools.misc import babel_locale_parse, posix_to_ldml

from ..tools.display import pattern_without_seconds


class IrQwebFieldDatetime(models.AbstractModel):
    _inherit = "ir.qweb.field.datetime"

    @api.model
    def value_to_html(self, value, options):
        """``hide_seconds`` hides them in every language: core strips ":ss" only, so a
        Chinese reader (时分秒) of the portal and the statements saw them."""
        if (
            options.get("hide_seconds")
            and not options.get("format")
            and not options.get("time_only")
            and not options.get("date_only")
        ):
            lang = self.user_lang()
            locale = babel_locale_parse(lang.code)
            pattern = posix_to_ldml(f"{lang.date_format} {lang.time_format}", locale=locale)
            options = {**options, "format": pattern_without_seconds(pattern)}
        return super().value_to_html(value, options)
