from odoo import http
from odoo.addons.rating.controllers.main import Rating
from odoo.http import request
from odoo.tools.misc import get_lang

from .portal_rating import RATING_FEEDBACK_MAX


class DeviceServiceRating(Rating):
    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        """Core refuses a logged-in contact of another company opening a rating link, on a
        page naming the rated record: for a work order it names nothing of it."""
        rating = self._work_order_rating(token)
        if rating and self._is_other_customer(rating):
            return self._render_work_order_refusal(rating)
        return super().action_open_rating(token, rate, **kwargs)

    @http.route()
    def action_submit_rating(self, token, rate=0, **kwargs):
        """The feedback form under the rating link posts here: for a work order, the same
        refusal as the link's (core checks nothing here), and the portal form's limit on
        the comment."""
        rating = self._work_order_rating(token)
        if rating and self._is_other_customer(rating):
            return self._render_work_order_refusal(rating)
        feedback = kwargs.get("feedback") or ""
        if rating and request.httprequest.method == "POST" and len(feedback) > RATING_FEEDBACK_MAX:
            return self._render_feedback_too_long(rating, token, rate, feedback)
        return super().action_submit_rating(token, rate=rate, **kwargs)

    def _work_order_rating(self, token):
        """The rating of ``token`` when it rates a work order; empty otherwise."""
        # sudo: the token is the only thing known here; the rating is only read to tell a
        # work order's link from another one, as core's route does before its own check.
        rating = request.env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1)
        return rating if rating.res_model == "maintenance.request" else rating.browse()

    def _is_other_customer(self, rating):
        user = request.env.user
        return (
            not user._is_public()
            and user.partner_id.commercial_partner_id != rating.partner_id.commercial_partner_id
        )

    def _render_work_order_refusal(self, rating):
        return request.render(
            "rating.rating_external_page_invalid_partner",
            {
                "model_name": request.env._("work order"),
                "name": request.env._("this work order"),
                "web_base_url": rating.get_base_url(),
            },
        )

    def _render_feedback_too_long(self, rating, token, rate, feedback):
        """Core's feedback form again, saying why, with what was typed cut at the limit."""
        _ = request.env._
        limit = RATING_FEEDBACK_MAX
        lang = rating.partner_id.lang or get_lang(request.env).code
        return (
            request.env["ir.ui.view"]
            .with_context(lang=lang)
            ._render_template(
                "rating.rating_external_page_submit",
                {
                    "rating": rating,
                    "token": token,
                    "rate_names": {5: _("Satisfied"), 3: _("Okay"), 1: _("Dissatisfied")},
                    "rate": int(rate) if str(rate).isdigit() else 0,
                    "feedback": feedback[:limit],
                    "feedback_max": limit,
                    "feedback_error": _(
                        "Your comment is too long: at most %(max)s characters. It was cut at "
                        "the limit: check its end before sending it again.",
                        max=limit,
                    ),
                },
            )
        )
