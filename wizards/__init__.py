from . import (
    account_move_reversal,
    device_label_wizard,
    service_ledger_entry_reason,
    service_settlement_wizard,
)
