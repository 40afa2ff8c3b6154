from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import BaseCase, new_test_user, tagged

from ..tools.dispatch import Candidate, choose, parse_zip_prefixes, weighted_load, zip_matches
from .common import DeviceServiceCase

# Monday 1 June 2026, 10:00 in Shanghai.
MONDAY_10 = "2026-06-01 02:00:00"
# Monday 1 June 2026, 20:00 in Shanghai: everybody has gone home.
MONDAY_20 = "2026-06-01 12:00:00"


class TestDispatchRule(BaseCase):
    def test_zip_prefixes(self):
        self.assertEqual(parse_zip_prefixes("200, 201\n 215"), ["200", "201", "215"])
        self.assertTrue(zip_matches("201 800", ["201"]))
        self.assertFalse(zip_matches("210000", ["200", "201"]))
        self.assertFalse(zip_matches("", ["200"]))
        self.assertTrue(zip_matches("", []))

    def test_weights_and_choice(self):
        self.assertEqual(weighted_load({"p1": 1, "p2": 1, "p3": 2, "p4": 1}), 4 + 2 + 2 + 1)
        now = datetime(2026, 6, 1, 2, 0)
        later = datetime(2026, 6, 1, 3, 0)
        a = Candidate(1, "A", now, load=3, assigned_today=5)
        b = Candidate(2, "B", now, load=3, assigned_today=1)
        c = Candidate(3, "C", later, load=0, assigned_today=0)
        self.assertEqual(choose([a, b, c], now), (b, "fewest_today"))
        self.assertEqual(choose([a, c], now), (a, "lowest_load"))
        self.assertEqual(choose([c], now), (c, "first_to_start"))
        self.assertEqual(choose([], now), (None, None))


@tagged("post_install", "-at_install")
class TestDispatch(DeviceServiceCase):
    """A new work order goes to the region's technician with the skills, at work now, with
    the lowest weighted load; a manual choice always wins."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china = cls.env.ref("base.cn")
        cls.shanghai_state = cls.env["res.country.state"].create(
            {"name": "Shanghai Test", "code": "SHT", "country_id": cls.china.id}
        )
        cls.jiangsu = cls.env["res.country.state"].create(
            {"name": "Jiangsu Test", "code": "JST", "country_id": cls.china.id}
        )
        cls.site.write({"country_id": cls.china.id, "zip": "201800"})
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai office hours",
                "tz": "Asia/Shanghai",
                "company_id": False,
                "attendance_ids": [
                    Command.create(
                        {"name": f"Day {day}", "dayofweek": day, "hour_from": 9, "hour_to": 18}
                    )
                    for day in "01234"
                ],
            }
        )
        cls.late_calendar = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai late shift",
                "tz": "Asia/Shanghai",
                "company_id": False,
                "attendance_ids": [
                    Command.create(
                        {"name": f"Day {day}", "dayofweek": day, "hour_from": 14, "hour_to": 22}
                    )
                    for day in "01234"
                ],
            }
        )
        skill_type = cls.env["hr.skill.type"].create(
            {
                "name": "Devices",
                "skill_ids": [
                    Command.create({"name": "Thermal printers"}),
                    Command.create({"name": "Scanners"}),
                ],
                "skill_level_ids": [
                    Command.create({"name": "Certified", "level_progress": 100}),
                ],
            }
        )
        cls.skill_type = skill_type
        cls.printers, cls.scanners = skill_type.skill_ids
        cls.device_product.product_tmpl_id.service_skill_ids = cls.printers
        cls.team = cls.env["maintenance.team"].create(
            {
                "name": "East China",
                "company_id": cls.company.id,
                "auto_dispatch": True,
                "manager_id": cls.manager.id,
            }
        )
        cls.region = cls.env["service.region"].create(
            {
                "name": "Shanghai North",
                "company_id": cls.company.id,
                "country_id": cls.china.id,
                "zip_prefixes": "200, 201",
                "team_id": cls.team.id,
            }
        )
        cls.li_wei = cls._technician("bds_li_wei", "Li Wei", cls.printers | cls.scanners)
        cls.zhang = cls._technician("bds_zhang", "Zhang Min", cls.printers)
        cls.chen = cls._technician("bds_chen", "Chen Jie", cls.scanners)
        cls.device = cls.create_device(maintenance_team_id=cls.team.id)

    @classmethod
    def _technician(cls, login, name, skills, company=None, calendar=None):
        company = company or cls.company
        user = new_test_user(
            cls.env,
            login=login,
            name=name,
            groups="base.group_user,barcode_device_service.group_device_service_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "company_id": company.id,
                "resource_calendar_id": (calendar or cls.calendar).id,
                "employee_skill_ids": [
                    Command.create(
                        {
                            "skill_id": skill.id,
                            "skill_type_id": cls.skill_type.id,
                            "skill_level_id": cls.skill_type.skill_level_ids.id,
                        }
                    )
                    for skill in skills
                ],
            }
        )
        if company == cls.company and hasattr(cls, "team"):
            cls.team.member_ids |= user
        return user

    def _work_order(self, severity="p3", **vals):
        return self.env["maintenance.request"].create(
            {
                "name": "Printer jams",
                "equipment_id": self.device.id,
                "maintenance_team_id": self.team.id,
                "company_id": self.company.id,
                "severity": severity,
                **vals,
            }
        )

    def _give(self, user, severity, count=1):
        for _i in range(count):
            self._work_order(severity=severity, user_id=user.id)

    @freeze_time(MONDAY_10)
    def test_lowest_weighted_load_with_the_skills_wins(self):
        # Li Wei has one P1 open (load 4); Zhang Min three P3s (load 3); Chen Jie has no
        # printer skill.
        self._give(self.li_wei, "p1")
        self._give(self.zhang, "p3", 3)
        work_order = self._work_order()
        self.assertEqual(work_order.region_id, self.region)
        self.assertEqual(work_order.user_id, self.zhang)
        self.assertTrue(work_order.auto_assigned)
        body = work_order.message_ids[:1].body
        self.assertIn("Assigned to Zhang Min: Shanghai North, skills Thermal printers", body)
        self.assertIn("open load 3, the lowest", body)

    @freeze_time(MONDAY_10)
    def test_region_by_state(self):
        other_team = self.env["maintenance.team"].create(
            {"name": "Jiangsu", "company_id": self.company.id, "auto_dispatch": True}
        )
        jiangsu_tech = self._technician("bds_js", "Wang Jun", self.printers)
        other_team.member_ids = jiangsu_tech
        region = self.env["service.region"].create(
            {
                "name": "Jiangsu",
                "sequence": 1,
                "company_id": self.company.id,
                "country_id": self.china.id,
                "state_ids": [Command.set(self.jiangsu.ids)],
                "team_id": other_team.id,
            }
        )
        site = self.env["res.partner"].create(
            {
                "name": "Suzhou plant",
                "parent_id": self.customer.id,
                "type": "delivery",
                "country_id": self.china.id,
                "state_id": self.jiangsu.id,
                "zip": "215000",
            }
        )
        device = self.create_device(site_id=site.id, serial_no="JS-1")
        work_order = self._work_order(equipment_id=device.id)
        self.assertEqual(work_order.region_id, region)
        self.assertEqual(work_order.user_id, jiangsu_tech)

    @freeze_time(MONDAY_10)
    def test_tie_goes_to_the_fewest_assigned_today(self):
        self._give(self.li_wei, "p3")
        self._give(self.zhang, "p3")
        # Both have load 1; Zhang's was assigned yesterday.
        zhang_order = self.env["maintenance.request"].search([("user_id", "=", self.zhang.id)])
        zhang_order.with_context(bds_dispatching=True).write({"assigned_at": "2026-05-31 03:00:00"})
        work_order = self._work_order()
        self.assertEqual(work_order.user_id, self.zhang)
        self.assertIn("the lowest, and the fewest assigned today", work_order.message_ids[:1].body)

    @freeze_time(MONDAY_20)
    def test_outside_hours_the_first_to_start_work(self):
        late = self._technician("bds_late", "Zhao Lei", self.printers, calendar=self.late_calendar)
        self.assertIn(late, self.team.member_ids)
        # 20:00: Zhao Lei works until 22:00, the others start tomorrow at 9.
        work_order = self._work_order()
        self.assertEqual(work_order.user_id, late)
        with freeze_time("2026-06-01 14:30:00"):  # 22:30: nobody until tomorrow 9:00
            self._give(late, "p1", 3)
            second = self._work_order()
        self.assertIn(second.user_id, self.li_wei | self.zhang)
        self.assertIn("the first to start work", second.message_ids[:1].body)

    @freeze_time(MONDAY_10)
    def test_a_technician_on_leave_is_not_a_candidate(self):
        employee = self.env["hr.employee"].search([("user_id", "=", self.zhang.id)])
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Annual leave",
                "resource_id": employee.resource_id.id,
                "calendar_id": self.calendar.id,
                "date_from": "2026-05-31 00:00:00",
                "date_to": "2026-06-05 12:00:00",
            }
        )
        self._give(self.li_wei, "p1")
        self.assertEqual(self._work_order().user_id, self.li_wei)

    @freeze_time(MONDAY_10)
    def test_no_candidate_leaves_it_unassigned_and_tells_the_manager(self):
        self.device_product.product_tmpl_id.service_skill_ids = self.printers | self.scanners
        self.team.member_ids = self.zhang | self.chen
        work_order = self._work_order()
        self.assertFalse(work_order.user_id)
        activity = work_order.activity_ids.filtered(lambda a: a.summary == "Dispatch by hand")
        self.assertEqual(activity.user_id, self.manager, work_order.activity_ids.mapped("summary"))
        self.assertIn("No technician with skill Thermal printers, Scanners", activity.note)
        self.assertIn("Shanghai North", activity.note)

    @freeze_time(MONDAY_10)
    def test_a_manual_assignment_is_never_overwritten(self):
        work_order = self._work_order(user_id=self.chen.id)
        self.assertEqual(work_order.user_id, self.chen)
        self.assertFalse(work_order.auto_assigned)
        with self.assertRaises(UserError):
            work_order.action_dispatch()
        self.assertEqual(work_order.user_id, self.chen)
        # Dispatched, then changed by hand: the Dispatch button leaves it.
        other = self._work_order()
        self.assertTrue(other.auto_assigned)
        other.user_id = self.chen
        self.assertFalse(other.auto_assigned)
        with self.assertRaises(UserError):
            (work_order | other).action_dispatch()
        self.assertEqual(other.user_id, self.chen)
        # Cleared by hand: dispatched again on request.
        other.user_id = False
        other.action_dispatch()
        self.assertIn(other.user_id, self.li_wei | self.zhang)

    @freeze_time(MONDAY_10)
    def test_a_team_without_auto_dispatch_waits_for_the_desk(self):
        self.team.auto_dispatch = False
        work_order = self._work_order()
        self.assertFalse(work_order.user_id)
        self.assertFalse(work_order.activity_ids)
        work_order.with_user(self.technician).action_dispatch()
        self.assertIn(work_order.user_id, self.li_wei | self.zhang)

    @freeze_time(MONDAY_10)
    def test_a_technician_of_another_company_is_never_chosen(self):
        self.team.member_ids = self.env["res.users"]
        outsider = self._technician(
            "bds_outsider", "Outsider", self.printers, company=self.company_2
        )
        self.team.member_ids = outsider
        self.assertFalse(self._work_order().user_id)

    def test_region_input_is_checked(self):
        with self.assertRaisesRegex(ValidationError, "not the beginning of a postal code"):
            self.region.zip_prefixes = "200; 2*1"
        with self.assertRaisesRegex(ValidationError, "its states must be in"):
            self.region.state_ids = self.env.ref("base.state_us_5")

    @freeze_time(MONDAY_10)
    def test_queries_do_not_grow_with_the_technicians(self):
        def count_dispatch():
            work_order = self._work_order()
            work_order.with_context(bds_dispatching=True).write({"user_id": False})
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            work_order._dispatch()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        for index in range(7):
            self._technician(f"bds_t{index}", f"Tech {index:03d}", self.printers)
        with_ten = count_dispatch()
        for index in range(7, 200):
            self._technician(f"bds_t{index}", f"Tech {index:03d}", self.printers)
        self.assertEqual(count_dispatch(), with_ten)
