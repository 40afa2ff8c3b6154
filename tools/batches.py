"""The loop of the contracts' period jobs (the ledger's period close, the fee billing): a
batch of contracts at a time, locked so that another worker running the same job skips
them, committed per batch so that a run killed halfway goes on where it stopped."""

import logging

from psycopg2 import errors as pg_errors

from odoo.modules import module as odoo_module

_logger = logging.getLogger(__name__)

# A job that keeps meeting another worker's fresh commits gives up after this many fresh
# starts (the next run goes on).
MAX_RESTARTS = 5


def run_locked_batches(env, lock_next, process, commit=None, job="Device Service job"):
    """Run ``process(records)`` on the batches ``lock_next(after_id)`` returns (the next
    records by id after ``after_id``, locked with SKIP LOCKED; empty when none is left).

    ``commit``: commit per batch (by default, unless tests run); False keeps all the work
    in the caller's transaction (module data, tests). A batch whose records another worker
    changed after this transaction began fails to lock (serialization failure): it starts
    again in a new transaction, which sees that work, when the job owns its transactions.
    Returns how many records were processed.
    """
    if commit is None:
        commit = not odoo_module.current_test
    after_id = done = restarts = 0
    while True:
        try:
            records = lock_next(after_id)
            if not records:
                break
            process(records)
            env.flush_all()
        except pg_errors.SerializationFailure:
            restarts += 1
            if not commit or restarts > MAX_RESTARTS:
                raise
            _logger.info("%s: another worker got there first, restarting the batch.", job)
            env.cr.rollback()
            env.invalidate_all()
            continue
        after_id = max(records.ids)
        done += len(records)
        if commit:
            # What is done stays done if the job dies.
            env.cr.commit()  # pylint: disable=invalid-commit
    env["ir.cron"]._notify_progress(done=done, remaining=0)
    return done
