/** @odoo-module **/
// A Device Service manager with billing rights invoices a work order and the invoice opens.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("barcode_device_service_invoice_work_order", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Ribbon replaced)",
        },
        {
            content: "Create the invoice",
            trigger: "button[name=action_create_invoice]",
            run: "click",
        },
        {
            content: "The draft invoice opens, with the chargeable part",
            trigger: ".o_form_view .o_field_widget[name=invoice_line_ids] .o_data_row:contains(Tour ribbon)",
        },
    ],
});

// Without billing rights the manager is not offered the button (no half-done invoice).
registry.category("web_tour.tours").add("barcode_device_service_invoice_hidden", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Ribbon replaced)",
        },
        {
            content: "No Create Invoice button",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_create_invoice]))",
        },
    ],
});
