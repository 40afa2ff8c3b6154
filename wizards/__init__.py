from . import device_label_wizard, service_ledger_entry_reason
