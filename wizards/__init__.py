from . import (
    account_move_reversal,
    device_label_wizard,
    maintenance_request_escalate,
    maintenance_request_part_refuse,
    service_ledger_entry_reason,
    service_settlement_wizard,
)
