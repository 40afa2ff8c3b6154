from . import (
    account_move_reversal,
    device_label_wizard,
    maintenance_request_escalate,
    service_ledger_entry_reason,
    service_settlement_wizard,
)
