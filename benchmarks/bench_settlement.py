# odoo-shell
"""Settling the ledger: 10,000 confirmed entries over 100 contracts, then 100,000 over 1,000
contracts, each into posted credit notes (one per contract). Target: the time per entry at
100,000 at most 1.5x the time per entry at 10,000 (the settlement reads grouped, creates
moves in batches and links entries with grouped statements), and a peak memory (resident
set of the process) under 500 MB. Run with `make bench`; everything is rolled back.

Time is measured twice: wall clock, and CPU time (this process plus its PostgreSQL
backend, read from /proc), which other programs running on the machine do not inflate.
The 10,000 run is made before and after the 100,000 one; the faster is the reference.
"""

import os
import resource
import time

from odoo import Command
from odoo.tools import SQL

ENTRIES_PER_CONTRACT = 100
company = env.company  # noqa: F821
if not env["account.journal"].search_count(  # noqa: F821
    [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
):
    env["account.chart.template"].try_loading("generic_coa", company)  # noqa: F821


def contracts_with_entries(count, tag):
    partners = env["res.partner"].create(  # noqa: F821
        [{"name": f"Settle {tag} {i}", "is_company": True} for i in range(count)]
    )
    contracts = env["service.contract"].create(  # noqa: F821
        [
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "date_start": "2020-01-01",
                "date_end": "2099-12-31",
                "monthly_fee": 1000,
            }
            for partner in partners
        ]
    )
    contracts.action_activate()
    env.flush_all()  # noqa: F821
    # Confirmed entries in bulk: 9 penalties credited and 1 cap charged in every 10.
    env.cr.execute(  # noqa: F821
        SQL(
            """
            INSERT INTO service_ledger_entry
                (contract_id, partner_id, company_id, currency_id, date, period, kind,
                 direction, amount, signed_amount, state, source_key, name,
                 create_uid, create_date, write_uid, write_date)
            SELECT contract.id, contract.partner_id, contract.company_id, contract.currency_id,
                   '2020-05-10', '2020-05',
                   CASE WHEN mod(n, 10) = 0 THEN 'cap' ELSE 'penalty' END,
                   CASE WHEN mod(n, 10) = 0 THEN 'charge' ELSE 'credit' END,
                   10, CASE WHEN mod(n, 10) = 0 THEN -10 ELSE 10 END,
                   'confirmed', 'bench:' || %(tag)s || ':' || contract.id || ':' || n,
                   'BENCH/' || contract.id || '/' || n, 1, now(), 1, now()
              FROM service_contract contract, generate_series(1, %(per)s) n
             WHERE contract.id = ANY(%(ids)s)
            """,
            tag=tag,
            per=ENTRIES_PER_CONTRACT,
            ids=contracts.ids,
        )
    )
    env.invalidate_all()  # noqa: F821
    return contracts


env.cr.execute("SELECT pg_backend_pid()")  # noqa: F821
BACKEND_STAT = f"/proc/{env.cr.fetchone()[0]}/stat"  # noqa: F821
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    """CPU time of this process and of its database backend (same machine)."""
    try:
        with open(BACKEND_STAT, encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except OSError:  # the database runs elsewhere: this process only
        backend = 0.0
    return time.process_time() + backend


def settle(contracts):
    wizard = env["service.settlement.wizard"].create(  # noqa: F821
        {
            "company_id": company.id,
            "period_from": "2020-05",
            "period_to": "2020-05",
            "contract_ids": [Command.set(contracts.ids)],
            "move_state": "posted",
        }
    )
    start, start_cpu = time.perf_counter(), cpu_seconds()
    moves, _zero = wizard._settle()
    env.flush_all()  # noqa: F821
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
    settled = env["service.ledger.entry"].search_count(  # noqa: F821
        [("contract_id", "in", contracts.ids), ("state", "=", "settled")]
    )
    return elapsed, cpu, len(moves), settled


wall, cpu = {}, {}
# Warm-up (5 contracts, not counted): caches, prepared plans. 10,000 again at the end.
for count in (5, 100, 1000, 100):
    env.cr.execute("SAVEPOINT bench_settlement")  # noqa: F821
    contracts = contracts_with_entries(count, str(count))
    elapsed, cpu_time, moves, settled = settle(contracts)
    env.cr.execute("ROLLBACK TO SAVEPOINT bench_settlement")  # noqa: F821
    env.invalidate_all()  # noqa: F821
    if count == 5:
        continue
    entries = count * ENTRIES_PER_CONTRACT
    wall[entries] = min(wall.get(entries, elapsed), elapsed)
    cpu[entries] = min(cpu.get(entries, cpu_time), cpu_time)
    print(
        f"settle {entries:>7,} entries / {count:>5,} contracts: {elapsed:7.2f} s wall, "
        f"{cpu_time:7.2f} s CPU, {moves} moves, {settled:,} settled, "
        f"{1e6 * elapsed / entries:6.1f} µs wall and {1e6 * cpu_time / entries:6.1f} µs CPU "
        "per entry"
    )

wall_ratio = (wall[100_000] / 100_000) / (wall[10_000] / 10_000)
cpu_ratio = (cpu[100_000] / 100_000) / (cpu[10_000] / 10_000)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"time per entry at 100,000 / at 10,000: {wall_ratio:.2f} wall, {cpu_ratio:.2f} CPU "
    "(target <= 1.5)"
)
print(f"peak memory (resident set): {peak_mb:.0f} MB (target < 500)")
print("OK" if cpu_ratio <= 1.5 and peak_mb < 500 else "TARGET MISSED")
env.cr.rollback()  # noqa: F821
