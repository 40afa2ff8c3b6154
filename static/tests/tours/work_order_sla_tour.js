/** @odoo-module **/
// The technician's flow on a work order under contract: the SLA milestones are shown, moving
// to In Progress answers the customer, Check In on site meets the arrival target.
import { registry } from "@web/core/registry";

const milestone = (label, state) =>
    `.o_field_widget[name=sla_line_ids] .o_data_row:has(td:contains(${label})):has(.badge:contains(${state}))`;

registry.category("web_tour.tours").add("barcode_device_service_sla_check_in", {
    steps: () => [
        {
            content: "The work order shows its three running milestones",
            trigger: `${milestone("Response", "Running")}`,
        },
        {
            trigger: `${milestone("On-site Arrival", "Running")}`,
        },
        {
            trigger: `${milestone("Resolution", "Running")}`,
        },
        {
            content: "Start the work",
            trigger: ".o_statusbar_status button:contains(In Progress)",
            run: "click",
        },
        {
            content: "Moving to In Progress is the response",
            trigger: `${milestone("Response", "Met")}`,
        },
        {
            content: "Arrived on site",
            trigger: "button[name=action_check_in]",
            run: "click",
        },
        {
            content: "The arrival is met and the button is gone",
            trigger: `.o_form_view:not(:has(button[name=action_check_in])) ${milestone("On-site Arrival", "Met")}`,
        },
        {
            content: "The resolution clock still runs",
            trigger: `${milestone("Resolution", "Running")}`,
        },
    ],
});
