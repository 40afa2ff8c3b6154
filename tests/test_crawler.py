import json
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

CLICKBOT = (
    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
    ".startClickEverywhere('%s');"
)
# The clickbot switches between the multi-record views only: open one record's form of each
# action too, the way a click on a row does, and wait until it is rendered.
FORM_OPENER = """
(async () => {
    const actionService = odoo.__WOWL_DEBUG__.root.env.services.action;
    for (const [actionId, resId, label] of %s) {
        console.log(`Opening the form of ${label}`);
        await actionService.doAction(actionId, { viewType: "form", props: { resId } });
        const form = document.querySelector(".o_action_manager .o_form_view .o_form_renderer");
        if (!form || document.querySelector(".o_error_dialog")) {
            console.error(`The form of ${label} did not open`);
            return;
        }
    }
    // The last form's chatter is still loading: let its requests finish before the test
    // ends, or they would run into the next test's transaction.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log("every form opened");
})();
"""
DEVICE_SERVICE_APP = "barcode_device_service.menu_device_service_root"
MAINTENANCE_APP = "maintenance.menu_maintenance_title"


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """Odoo's own crawler opens every menu of the Device Service and Maintenance apps, every
    view type of each action and every filter of each search view, as a manager, as a
    technician and (Maintenance only) as an employee outside Device Service: a view reading a
    field it does not load, a filter on a field the user may not read or a menu leading to a
    forbidden model shows an error dialog and fails the test. The crawler walks the menus, so
    an action added later is crawled without touching this test."""

    # The last menu of an app may open a form (Settings): the crawler stops there.
    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.technician = new_test_user(
            cls.env,
            login="bds_crawler_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
        )
        # A field technician: My Work Orders, their own work orders only.
        cls.field_technician = new_test_user(
            cls.env,
            login="bds_crawler_field_technician",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
        )
        # An employee outside Device Service: core Maintenance shows them our fields too.
        cls.employee = new_test_user(
            cls.env, login="bds_crawler_employee", groups="base.group_user"
        )
        if "tour_enabled" in cls.env["res.users"]._fields:
            # Onboarding tours would cover the screens the crawler clicks.
            (cls.admin | cls.technician | cls.field_technician | cls.employee).tour_enabled = False

        # Own records so that the kanban cards, list rows, pivots and calendars have content
        # to render; dates relative to today so that the contract is always running.
        today = fields.Date.today()
        customer = cls.env["res.partner"].create({"name": "Crawler Customer", "is_company": True})
        device = cls.env["maintenance.equipment"].create(
            {"name": "Crawler label printer", "customer_id": customer.id}
        )
        drill_press = cls.env["maintenance.equipment"].create(
            {"name": "Crawler workshop drill press"}
        )
        contract = cls.env["service.contract"].create(
            {
                "partner_id": customer.id,
                "date_start": today - timedelta(days=30),
                "date_end": today + timedelta(days=365),
                "resource_calendar_id": cls.env.ref(
                    "barcode_device_service.resource_calendar_7x24"
                ).id,
                "device_ids": [Command.set(device.ids)],
            }
        )
        contract.action_activate()
        cls.work_order = cls.env["maintenance.request"].create(
            {
                "name": "Crawler printer skips labels",
                "equipment_id": device.id,
                "severity": "p2",
                "user_id": cls.technician.id,
                "schedule_date": fields.Datetime.now() + timedelta(days=1),
            }
        )
        cls.field_work_order = cls.env["maintenance.request"].create(
            {
                "name": "Crawler scanner does not read",
                "equipment_id": device.id,
                "severity": "p3",
                "user_id": cls.field_technician.id,
                "is_on_site": True,
            }
        )
        # Core shows employees the requests they reported.
        reported = cls.env["maintenance.request"].create(
            {
                "name": "Crawler printer jams",
                "equipment_id": device.id,
                "owner_user_id": cls.employee.id,
            }
        )
        # The record each form shows; other models open their first record the user sees.
        cls.own_records = {
            "maintenance.equipment": device | drill_press,
            "service.contract": contract,
            "maintenance.request": cls.work_order | reported | cls.field_work_order,
            "service.sla.line": cls.work_order.sla_line_ids,
        }

    def _crawl(self, app_xmlid, user):
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        apps = {menus[app_id]["xmlid"] for app_id in menus["root"]["children"]}
        self.assertIn(app_xmlid, apps, f"{user.login} does not see the app {app_xmlid}")
        self.browser_js(
            "/odoo",
            CLICKBOT % app_xmlid,
            "odoo.isReady === true",
            login=user.login,
            timeout=240,
            success_signal="clickbot test succeeded",
        )

    def _open_forms(self, app_xmlids, user):
        """Open a form of each window action under the apps' menus the user sees."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        app_ids = [i for i in menus["root"]["children"] if menus[i]["xmlid"] in app_xmlids]
        action_ids, todo = [], list(app_ids)
        while todo:
            menu = menus[todo.pop(0)]
            todo += menu["children"]
            model, _sep, action_id = (menu["action"] or "").partition(",")
            if model == "ir.actions.act_window" and int(action_id) not in action_ids:
                action_ids.append(int(action_id))
        targets = []
        for action in self.env["ir.actions.act_window"].browse(action_ids):
            Model = self.env[action.res_model].with_user(user)
            if "form" not in action.view_mode or Model._transient:
                continue
            domain = safe_eval(action.domain or "[]", {"uid": user.id})
            own = self.own_records.get(action.res_model, Model.browse())
            records = Model.search([*domain, ("id", "in", own.ids)]) or Model.search(
                domain, limit=1
            )
            # Each own record, up to three: a customer device and a company equipment differ.
            for record in records[:3]:
                targets.append([action.id, record.id, f"{action.name} / {record.display_name}"])
        self.assertTrue(targets)
        self.browser_js(
            "/odoo",
            FORM_OPENER % json.dumps(targets),
            "odoo.isReady === true",
            login=user.login,
            timeout=120,
            success_signal="every form opened",
        )

    def test_crawl_device_service_as_manager(self):
        self.assertTrue(self.work_order.sla_line_ids, "the work order has SLA lines to list")
        self._crawl(DEVICE_SERVICE_APP, self.admin)

    def test_crawl_device_service_as_technician(self):
        self._crawl(DEVICE_SERVICE_APP, self.technician)

    def test_crawl_device_service_as_field_technician(self):
        self._crawl(DEVICE_SERVICE_APP, self.field_technician)

    def test_crawl_maintenance_as_manager(self):
        self._crawl(MAINTENANCE_APP, self.admin)

    def test_crawl_maintenance_as_technician(self):
        self._crawl(MAINTENANCE_APP, self.technician)

    def test_crawl_maintenance_as_employee(self):
        self._crawl(MAINTENANCE_APP, self.employee)

    def test_open_forms_as_manager(self):
        self._open_forms([DEVICE_SERVICE_APP, MAINTENANCE_APP], self.admin)

    def test_open_forms_as_technician(self):
        self._open_forms([DEVICE_SERVICE_APP, MAINTENANCE_APP], self.technician)

    def test_open_forms_as_field_technician(self):
        self._open_forms([DEVICE_SERVICE_APP], self.field_technician)

    def test_open_forms_as_employee(self):
        self._open_forms([MAINTENANCE_APP], self.employee)
