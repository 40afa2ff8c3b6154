# odoo-shell
"""Creating 1,000 work orders with automatic dispatch on against the same with it off, with
50 technicians (employees with skills, on a 24/7 calendar) and 10,000 open work orders
already in the database; then one dispatch's queries with 10 and with 200 technicians.

Target: at most 1.3x; the same number of queries. Run with `make bench`; everything is
rolled back.
"""

import time

from odoo import Command

COUNT = 1000
OPEN = 10000
TECHNICIANS = 50
env = env  # noqa: F821, PLW0127
calendar = env.ref("barcode_device_service.resource_calendar_7x24")
skill_type = env["hr.skill.type"].create(
    {
        "name": "Bench devices",
        "skill_ids": [Command.create({"name": "Bench printers"})],
        "skill_level_ids": [Command.create({"name": "Bench certified", "level_progress": 100})],
    }
)
skill = skill_type.skill_ids
model = env["product.product"].create(
    {"name": "Bench printer model", "is_serviced_device": True, "tracking": "serial"}
)
model.product_tmpl_id.service_skill_ids = skill
customer = env["res.partner"].create({"name": "Bench dispatch customer", "is_company": True})
devices = env["maintenance.equipment"].create(
    [
        {"name": f"Bench dispatch device {i}", "customer_id": customer.id, "product_id": model.id}
        for i in range(200)
    ]
)


def technicians(count, prefix):
    users = env["res.users"].create(
        [
            {"name": f"{prefix} tech {i:03d}", "login": f"{prefix.lower()}_tech_{i}"}
            for i in range(count)
        ]
    )
    env["hr.employee"].create(
        [
            {
                "name": user.name,
                "user_id": user.id,
                "resource_calendar_id": calendar.id,
                "employee_skill_ids": [
                    Command.create(
                        {
                            "skill_id": skill.id,
                            "skill_type_id": skill_type.id,
                            "skill_level_id": skill_type.skill_level_ids.id,
                        }
                    )
                ],
            }
            for user in users
        ]
    )
    return users


team = env["maintenance.team"].create(
    {"name": "Bench dispatch team", "member_ids": [Command.set(technicians(TECHNICIANS, "B").ids)]}
)
Request = env["maintenance.request"].with_context(tracking_disable=True, mail_notrack=True)
members = team.member_ids
Request.create(
    [
        {
            "name": f"Open {i}",
            "maintenance_team_id": team.id,
            "user_id": members[i % len(members)].id,
            "severity": ("p1", "p2", "p3", "p4")[i % 4],
        }
        for i in range(OPEN)
    ]
)


def timed(auto):
    team.auto_dispatch = auto
    env.flush_all()
    start = time.perf_counter()
    Request.create(
        [
            {
                "name": f"Fault {i}",
                "equipment_id": devices[i % len(devices)].id,
                "maintenance_team_id": team.id,
                "severity": ("p1", "p2", "p3", "p4")[i % 4],
            }
            for i in range(COUNT)
        ]
    )
    env.flush_all()
    return time.perf_counter() - start


timed(False)  # warm-up
off = timed(False)
on = timed(True)
assigned = Request.search_count(
    [("auto_assigned", "=", True), ("maintenance_team_id", "=", team.id)]
)
print(f"1,000 work orders, dispatch off: {off:.2f} s")
print(f"1,000 work orders, dispatch on:  {on:.2f} s ({assigned} assigned by the rule)")
print(f"ratio on / off: {on / off:.2f} (target <= 1.3)")


def queries_of_one_dispatch():
    work_order = Request.create(
        {"name": "Count", "equipment_id": devices[0].id, "maintenance_team_id": team.id}
    )
    work_order.with_context(bds_dispatching=True).write({"user_id": False})
    env.flush_all()
    env.invalidate_all()
    before = env.cr.sql_log_count
    work_order._dispatch()
    env.flush_all()
    return env.cr.sql_log_count - before


team.member_ids = members[:10]
queries_of_one_dispatch()
ten = queries_of_one_dispatch()
team.member_ids = members | technicians(150, "C")
two_hundred = queries_of_one_dispatch()
print(f"queries of one dispatch: {ten} with 10 technicians, {two_hundred} with 200 (target: equal)")
print("OK" if on / off <= 1.3 and ten == two_hundred else "TARGET MISSED")
env.cr.rollback()
