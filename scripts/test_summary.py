"""Read an Odoo test log and print the closing line ``N passed, N failed``.

Exit status 1 on any failed or erroring test, on any ERROR/CRITICAL line Odoo logged
(an install that logs an error is a failure even when every test passes), or when no
test ran at all.
"""

import re
import sys

RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
LOGGED_ERROR = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


def main(path):
    failed = errors = run = 0
    logged = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = RESULT.search(line)
            if match:
                failed, errors, run = (int(g) for g in match.groups())
            elif LOGGED_ERROR.match(line):
                logged.append(line.rstrip())
    bad = failed + errors
    if logged and not bad:
        print(f"{len(logged)} error(s) logged outside the tests, first: {logged[0][:300]}")
    if not run:
        print("no test ran: see the log above")
    print(f"{run - bad} passed, {bad + (1 if logged and not bad else 0)} failed")
    return 1 if bad or logged or not run else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
