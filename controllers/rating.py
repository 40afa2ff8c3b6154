from odoo import http
from odoo.addons.rating.controllers.main import Rating
from odoo.http import request


class DeviceServiceRating(Rating):
    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        """Core refuses a logged-in contact of another company opening a rating link, on a
        page naming the rated record: for a work order it names nothing of it."""
        # sudo: the token is the only thing known here; the rating is only read to tell a
        # work order's link from another one, as core's route does before its own check.
        rating = request.env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1)
        user = request.env.user
        if (
            rating.res_model == "maintenance.request"
            and not user._is_public()
            and user.partner_id.commercial_partner_id != rating.partner_id.commercial_partner_id
        ):
            return request.render(
                "rating.rating_external_page_invalid_partner",
                {
                    "model_name": request.env._("work order"),
                    "name": request.env._("this work order"),
                    "web_base_url": rating.get_base_url(),
                },
            )
        return super().action_open_rating(token, rate, **kwargs)
