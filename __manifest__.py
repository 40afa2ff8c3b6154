{
    "name": "Device Service",
    "summary": "Barcode-device assets with labels, SLA service contracts, "
    "penalty/rebate ledger and portal work orders",
    "version": "18.0.1.0.0",
    "category": "Services/Maintenance",
    "license": "LGPL-3",
    "author": "Barcode Device Service",
    "website": "https://github.com/barcode-device-service/barcode_device_service",
    "maintainers": ["barcode-device-service"],
    "development_status": "Alpha",
    "depends": [
        "maintenance",
        "stock",
        "account",
        "portal",
        "barcodes",
        "resource",
    ],
    "external_dependencies": {"python": ["python-barcode"]},
    "post_init_hook": "post_init_hook",
    "data": [
        "security/barcode_device_service_security.xml",
        "security/ir.model.access.csv",
        "security/barcode_device_service_rules.xml",
        "data/ir_sequence_data.xml",
        "views/maintenance_equipment_views.xml",
        "views/product_template_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/device_label_wizard_views.xml",
        "views/barcode_device_service_menus.xml",
    ],
    "demo": [
        "demo/product_demo.xml",
        "demo/res_partner_demo.xml",
        "demo/maintenance_equipment_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "barcode_device_service/static/src/**/*",
        ],
        "web.assets_tests": [
            "barcode_device_service/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
