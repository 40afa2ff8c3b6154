"""The customer's rating of a resolved work order on its portal page (the e-mail's rating
link is core's route, see rating.py)."""

from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from .portal import DeviceServicePortal

# The longest comment a customer may leave with a rating, on the page or the rating link.
RATING_FEEDBACK_MAX = 2000


class DeviceServiceRatingPortal(DeviceServicePortal):
    @http.route(
        ["/my/work-orders/<int:request_id>/rate"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_work_order_rate(
        self, request_id, access_token=None, rating=None, feedback=None, **kw
    ):
        """The customer rates a resolved work order, once: 1 to 5 stars and a comment."""
        try:
            work_order_sudo = self._document_check_access(
                "maintenance.request", request_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        feedback = (feedback or "").strip()
        error = self._work_order_rating_error(work_order_sudo, rating, feedback)
        if error:
            values = self._work_order_page_values(
                work_order_sudo,
                access_token,
                rating_error=error,
                rating_values={"rating": rating, "feedback": feedback},
            )
            return request.render("barcode_device_service.portal_my_work_order", values)
        # sudo: the work order was checked above (the customer's, or its token given);
        # applying the rating writes the rating and posts it in the chatter, which the
        # customer may not do with their own rights.
        work_order_sudo.rating_apply(
            int(rating), rating=work_order_sudo._rating_pending(), feedback=feedback
        )
        query = {"message": "rated", **({"access_token": access_token} if access_token else {})}
        return request.redirect(
            f"{work_order_sudo.access_url}?{url_encode(query)}#work_order_rating"
        )

    def _work_order_rating_error(self, work_order_sudo, rating, feedback):
        """Why this rating is refused, in the customer's words; False when it is not."""
        _ = request.env._
        if not work_order_sudo.stage_id.is_resolved:
            return _("This work order is not resolved yet: you can rate it once it is.")
        if work_order_sudo.rating_ids.filtered("consumed"):
            return _("This work order is already rated: thank you.")
        if rating not in ("1", "2", "3", "4", "5"):
            return _("Choose from 1 to 5 stars.")
        if len(feedback) > RATING_FEEDBACK_MAX:
            return _(
                "Your comment is too long: at most %(max)s characters.",
                max=RATING_FEEDBACK_MAX,
            )
        if not work_order_sudo._rating_get_partner():
            return _("This work order has no customer contact to rate it.")
        return False
