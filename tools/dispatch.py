"""The dispatch rule's arithmetic, without Odoo: a region's match on an address, the
weighted open load of a technician, and the choice among the candidates."""

from dataclasses import dataclass
from datetime import datetime

# Open work orders weigh by severity in a technician's load: a P1 keeps an engineer busy
# as four P3s do.
SEVERITY_WEIGHTS = {"p1": 4, "p2": 2, "p3": 1, "p4": 1}


def parse_zip_prefixes(text):
    """The prefixes of a region's ``zip_prefixes`` ("200, 201" or one a line), in order."""
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def zip_matches(zip_code, prefixes):
    """Whether a postal code starts with one of ``prefixes`` (none: any code matches)."""
    if not prefixes:
        return True
    code = (zip_code or "").replace(" ", "")
    return bool(code) and any(code.startswith(prefix.replace(" ", "")) for prefix in prefixes)


def weighted_load(counts):
    """A technician's open load from ``{severity: open work orders}``."""
    return sum(SEVERITY_WEIGHTS.get(severity, 1) * count for severity, count in counts.items())


@dataclass(frozen=True)
class Candidate:
    """A technician who could take the work order: when they are (or next will be) at
    work, their weighted open load, how many work orders they got today."""

    user_id: int
    name: str
    starts_at: datetime
    load: int
    assigned_today: int


def choose(candidates, now):
    """The technician the rule assigns and why: ``(candidate, reason)``, or ``(None,
    None)`` when there is no candidate.

    Those at work at ``now`` are preferred; when nobody is, those who start work first
    (reason ``first_to_start``). Among them: the lowest weighted open load (``lowest_load``),
    then the fewest assignments today (``fewest_today``), then the name and the id (so the
    same data always gives the same choice)."""
    if not candidates:
        return None, None
    pool = [c for c in candidates if c.starts_at <= now]
    reason = None
    if not pool:
        first = min(c.starts_at for c in candidates)
        pool = [c for c in candidates if c.starts_at == first]
        reason = "first_to_start"
    winner = min(pool, key=lambda c: (c.load, c.assigned_today, c.name, c.user_id))
    if reason is None:
        tied = sum(1 for c in pool if c.load == winner.load)
        reason = "fewest_today" if tied > 1 else "lowest_load"
    return winner, reason
