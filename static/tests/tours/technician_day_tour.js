/** @odoo-module **/
// The technician's day on a phone (390 px): from My Work Orders, depart, check in, tick the
// procedure's check and ask for a part (the team manager approves it in between); then
// finish and let the customer sign on the phone.
import { registry } from "@web/core/registry";

const checklist = ".o_field_widget[name=checklist_line_ids]";
const parts = ".o_field_widget[name=part_ids]";

registry.category("web_tour.tours").add("barcode_device_service_technician_visit", {
    steps: () => [
        {
            content: "The queue shows the work order with its site's map link",
            trigger: ".o_bds_my_work_orders .o_kanban_record:contains(TOUR-WO) .o_bds_site_link",
        },
        {
            content: "Open it",
            trigger: ".o_bds_my_work_orders .o_kanban_record:contains(TOUR-WO)",
            run: "click",
        },
        {
            content: "Depart for the site",
            trigger: ".o_bds_visit_actions button[name=action_depart]",
            run: "click",
        },
        {
            content: "Check in on site",
            trigger: ".o_bds_visit_actions .o_bds_check_in",
            run: "click",
        },
        {
            content: "Checked in: the work can be finished later",
            trigger: ".o_bds_visit_actions button[name=action_finish_work]",
        },
        {
            content: "Open the checklist",
            trigger: ".o_notebook .nav-link:contains(Checklist)",
            run: "click",
        },
        {
            content: "Tick the check",
            trigger: `${checklist} .o_kanban_record:contains(Clean the print head) .o_field_boolean_toggle input`,
            run: "click",
        },
        {
            content: "Open the parts",
            trigger: ".o_notebook .nav-link:contains(Parts)",
            run: "click",
        },
        {
            content: "Ask for a part",
            trigger: `${parts} .o-kanban-button-new, ${parts} .o_field_x2many_list_row_add a`,
            run: "click",
        },
        {
            content: "Choose the part (a phone opens the list of parts)",
            trigger: ".modal .o_field_widget[name=product_id] input",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:contains(Tour Print Head)",
            run: "click",
        },
        {
            content: "What is on the shelf shows",
            trigger: ".modal .o_field_widget[name=available_qty]:contains(3.00)",
        },
        {
            content: "Keep it on the work order",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Save the work order",
            trigger: "body:not(:has(.modal)) .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the part waits for approval",
            trigger: `.o_form_saved ${parts}:contains(To Approve)`,
        },
    ],
});

registry.category("web_tour.tours").add("barcode_device_service_technician_signoff", {
    steps: () => [
        {
            content: "Finish the work",
            trigger: ".o_bds_visit_actions button[name=action_finish_work]",
            run: "click",
        },
        {
            content: "The customer types their name",
            trigger: ".o_field_widget[name=signed_by] input",
            run: "edit Wang Fang",
        },
        {
            content: "Sign on the phone",
            trigger: ".o_field_widget[name=customer_signature] .o_signature",
            run: "click",
        },
        {
            content: "Draw the signature from the name",
            trigger: ".modal .o_web_sign_auto_button",
            run: "click",
        },
        {
            content: "Adopt it",
            trigger: ".modal .modal-footer .btn-primary:enabled",
            run: "click",
        },
        {
            content: "Save: the report is generated",
            trigger: "body:not(:has(.modal)) .o_form_button_save",
            run: "click",
        },
        {
            content: "The signed report is attached",
            trigger: ".o_form_saved .o_field_widget[name=service_report_id]:not(:empty)",
        },
    ],
});
