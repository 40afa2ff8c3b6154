"""Plain Python helpers (no Odoo): barcode rules, label geometry and drawing."""
