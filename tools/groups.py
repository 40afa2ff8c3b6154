"""The addon's access groups, spelled once for the Python code (the XML names them by their
ids): who works on devices and work orders, who manages, who settles money."""

TECHNICIAN = "barcode_device_service.group_device_service_technician"
USER = "barcode_device_service.group_device_service_user"
MANAGER = "barcode_device_service.group_device_service_manager"
ACCOUNTANT = "barcode_device_service.group_device_service_accountant"
# Who sees the money side of a contract: its penalty and rebate rules and its ledger.
LEDGER_GROUPS = f"{MANAGER},{ACCOUNTANT}"
