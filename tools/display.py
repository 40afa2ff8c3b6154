"""How times read for a customer: a time zone by its name in their language, a date and
time without seconds in any language. Plain functions, easy to test."""

import re

import babel.dates

# Seconds in an LDML pattern, with their separator or their unit: ":ss" (English),
# "ss'秒'" (Chinese, a quoted literal). Core's hide_seconds strips only the first kind.
SECONDS_RE = re.compile(r"[:.]?s+(?:'[^']*')?")


def timezone_label(tz, lang="en_US"):
    """``Asia/Shanghai`` as a reader says it ("China Time", "中国时间"); UTC as UTC."""
    if not tz or tz == "UTC":
        return "UTC"
    try:
        return babel.dates.get_timezone_name(tz, locale=lang or "en_US")
    except (LookupError, ValueError):
        return tz


def format_duration(env, hours):
    """A duration (a target, the working time left or late) as it reads at a glance, in
    ``env``'s language: "30 min", "4 h", "1 h 30 min". The one formatter of the addon."""
    minutes = max(round(hours * 60), 0)
    whole, rest = divmod(minutes, 60)
    if not whole:
        return env._("%(minutes)s min", minutes=rest)
    if not rest:
        return env._("%(hours)s h", hours=whole)
    return env._("%(hours)s h %(minutes)s min", hours=whole, minutes=rest)


def pattern_without_seconds(pattern):
    """An LDML date-time pattern without its seconds."""
    return SECONDS_RE.sub("", pattern).strip()
