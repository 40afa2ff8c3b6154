/** @odoo-module **/
// The service desk takes a phoned-in fault: a new work order at the severity the caller
// gives, then a change of severity while it is open (its SLA targets follow).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("barcode_device_service_desk_severity", {
    steps: () => [
        {
            content: "Name the fault",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Line 3 stopped",
        },
        {
            content: "Pick the device",
            trigger: ".o_field_widget[name=equipment_id] input",
            run: "edit Desk scanner",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Desk scanner)",
            run: "click",
        },
        {
            content: "The caller says the line is stopped: P1",
            trigger: ".o_field_widget[name=severity] select",
            run: 'select "p1"',
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved with its P1 clock",
            trigger: ".o_form_saved .o_field_widget[name=sla_line_ids] .o_data_row",
        },
        {
            content: "The customer calls back: the line runs again, slowly",
            trigger: ".o_field_widget[name=severity] select",
            run: 'select "p2"',
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
