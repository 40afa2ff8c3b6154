/** @odoo-module **/
// Spare parts on a work order: the technician adds a part and consumes it (seeing what is
// on the shelf first), then the service manager drafts the invoice.
import { registry } from "@web/core/registry";

const parts = ".o_field_widget[name=part_ids]";

registry.category("web_tour.tours").add("barcode_device_service_parts_consume", {
    steps: () => [
        {
            content: "Open the Parts tab",
            trigger: ".o_notebook .nav-link:contains(Parts)",
            run: "click",
        },
        {
            content: "Add a part",
            trigger: `${parts} .o_field_x2many_list_row_add a`,
            run: "click",
        },
        {
            content: "Choose the spare part",
            trigger: `${parts} .o_data_row .o_field_widget[name=product_id] input`,
            run: "edit Tour Platen Roller",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Tour Platen Roller)",
            run: "click",
        },
        {
            content: "What is on the shelf shows before consuming",
            trigger: `${parts} .o_data_row td[name=available_qty]:contains(5.00)`,
        },
        {
            content: "Save the work order",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Consume the part",
            trigger: `.o_form_saved ${parts} .o_data_row button[name=action_consume]`,
            run: "click",
        },
        {
            content: "The part is consumed; the technician has no invoice button",
            trigger: `.o_form_view:not(:has(button[name=action_create_invoice])) ${parts} .o_data_row .badge:contains(Consumed)`,
        },
    ],
});

registry.category("web_tour.tours").add("barcode_device_service_parts_invoice", {
    steps: () => [
        {
            content: "The manager invoices the work order",
            trigger: "button[name=action_create_invoice]",
            run: "click",
        },
        {
            content: "The draft invoice bills the consumed part",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains(Tour Platen Roller)",
        },
    ],
});
