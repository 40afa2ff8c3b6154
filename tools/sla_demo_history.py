"""The stories behind the demo's SLA history: what happened on each past work order.

No Odoo here. A story says when each event happened as a share of its milestone's target, in
clock time (working hours, pauses excluded); ``story_events`` turns it into offsets in working
hours from the clock start, pauses included, and the demo generator converts those into instants
of the contract's calendar and plays them through the work order's own clock methods. So the
outcomes (met, met late, breached) are the clock's, and every share below 1 is met on time
only if the clock agrees.
"""

from typing import NamedTuple


class Story(NamedTuple):
    name: str
    severity: str
    on_site: bool
    channel: str
    # Shares of the milestone's target at which it happened (clock time, pauses excluded).
    response: float
    # None on an on-site story: nobody checked in (fixed with remote guidance meanwhile).
    arrival: float | None
    resolution: float
    # (start, length) as shares of the resolution target: waiting for the customer.
    pause: tuple[float, float] | None
    resolution_note: str
    pause_note: str = ""


STORIES = [
    Story(
        "Line stopped: device does not power up",
        "p1",
        True,
        "phone",
        0.5,
        0.75,
        0.8,
        None,
        "Power supply replaced on site; the line restarted.",
    ),
    Story(
        "Line stopped: device fails its self-test",
        "p1",
        True,
        "phone",
        0.6,
        1.5,
        1.25,
        None,
        "Main board replaced; the spare came from the central store, not the site stock.",
    ),
    Story(
        "Device alert: no heartbeat from the line device",
        "p1",
        False,
        "device_alert",
        3.0,
        None,
        0.85,
        None,
        "Network settings restored remotely after a switch replacement at the plant.",
    ),
    Story(
        "Intermittent read and print failures",
        "p2",
        True,
        "portal",
        0.5,
        None,
        0.6,
        None,
        "The customer's staff cleaned the device and reseated its cable, guided by phone; "
        "the visit was no longer needed.",
    ),
    Story(
        "Network connection drops several times a shift",
        "p2",
        False,
        "email",
        0.25,
        None,
        0.5,
        None,
        "Wi-Fi roaming settings tuned through remote management.",
    ),
    Story(
        "Garbled output since the last update",
        "p2",
        False,
        "portal",
        0.4,
        None,
        0.7,
        (0.3, 0.85),
        "Configuration rolled back from the log the customer sent.",
        "Asked the customer for the device's configuration log.",
    ),
    Story(
        "Configuration change for GS1 labels",
        "p3",
        False,
        "portal",
        0.5,
        None,
        0.6,
        None,
        "New settings deployed and tested with the customer.",
    ),
    Story(
        "Worn parts: faults increasing over the week",
        "p3",
        True,
        "phone",
        0.75,
        0.5,
        1.4,
        None,
        "Worn parts replaced on the second visit; they were out of stock at first.",
    ),
    Story(
        "Cracked housing, buttons sticking",
        "p3",
        False,
        "email",
        0.3,
        None,
        1.3,
        (0.2, 0.75),
        "Housing and buttons replaced at the bench; the unit shipped back.",
        "Waiting for the customer to ship the unit to the bench.",
    ),
    Story(
        "Planned firmware upgrade",
        "p4",
        False,
        "email",
        0.5,
        None,
        0.5,
        None,
        "Firmware upgraded remotely in the agreed maintenance window.",
    ),
    Story(
        "Preventive inspection",
        "p4",
        True,
        "backend",
        1.6,
        None,
        0.8,
        None,
        "Inspection done: sensors calibrated, worn parts listed for the next visit.",
    ),
    Story(
        "Line slowed down: device rebooting every hour",
        "p2",
        True,
        "phone",
        0.5,
        0.7,
        0.9,
        (0.4, 0.5),
        "Faulty power connector replaced; no reboot over a full shift.",
        "Waiting for the customer's production stop to open the device.",
    ),
]

# Start times of day (UTC), cycled so the clocks start in and out of business hours.
START_TIMES = [(1, 40), (9, 5), (14, 20), (3, 15), (11, 50), (7, 30), (16, 45), (22, 10)]
# The slowest story closes within three working weeks: starts stop this many days before now.
LAST_START_DAYS = 21

# Events of one instant are played in this order.
EVENT_ORDER = {"response": 0, "arrival": 1, "pause": 2, "resume": 3, "resolution": 4}


def history_slots(count, days, first=0):
    """``count`` work orders spread evenly from ``days - 1`` (the first day inside the window,
    whatever the hour) to ``LAST_START_DAYS`` days before now.

    Yields ``(days_ago, hour, minute, story)``; ``first`` continues the cycle of stories and
    start times from an earlier call, so that several contracts get different stories.
    """
    span = max(days - 1 - LAST_START_DAYS, 0)
    for index in range(count):
        number = first + index
        hour, minute = START_TIMES[number % len(START_TIMES)]
        days_ago = days - 1 - (index * span) // max(count, 1)
        yield days_ago, hour, minute, STORIES[number % len(STORIES)]


def story_events(story, targets):
    """``(working hours from the clock start, event)`` of a story, in the order they happen.

    ``targets`` maps each milestone of the work order's clock to its target hours; a story's
    arrival is played only when the clock has an arrival milestone. Events after the start of
    the pause happen later by its length.
    """
    events = [(story.response * targets["response"], "response")]
    if story.arrival is not None and targets.get("arrival"):
        events.append((story.arrival * targets["arrival"], "arrival"))
    events.append((story.resolution * targets["resolution"], "resolution"))
    if story.pause:
        start, length = (share * targets["resolution"] for share in story.pause)
        events = [(offset + length if offset > start else offset, e) for offset, e in events]
        events += [(start, "pause"), (start + length, "resume")]
    return sorted(events, key=lambda item: (item[0], EVENT_ORDER[item[1]]))
