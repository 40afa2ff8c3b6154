/** @odoo-module **/
// The backend flow of a technician: find a device by its barcode, open it, print its label.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("barcode_device_service_print_label", {
    steps: () => [
        {
            content: "Search the device by its barcode",
            trigger: ".o_searchview_input",
            run: "edit TOUR-DEV-0001",
        },
        {
            content: "Search in the Barcode field",
            trigger: ".o_searchview_autocomplete li.o_menu_item:contains(Barcode)",
            run: "click",
        },
        {
            content: "Open the device",
            trigger: ".o_data_row td:contains(TOUR-DEV-0001)",
            run: "click",
        },
        {
            content: "The device form is open",
            trigger: ".o_breadcrumb:contains(Tour printer)",
        },
        {
            content: "Print labels",
            trigger: "button[name=action_print_labels]",
            run: "click",
        },
        {
            content: "Choose the A4 sheet",
            trigger: ".modal .o_field_widget[name=label_format] input[data-value=a4_3x8]",
            run: "click",
        },
        {
            content: "The test server's address is private: the URL is shown, confirm it",
            trigger: ".modal .alert-warning:contains(/service/device/)",
        },
        {
            content: "Confirm the URL",
            trigger: ".modal .o_field_widget[name=confirm_label_url] input",
            run: "click",
        },
        {
            content: "Print",
            trigger: ".modal button[name=action_print]",
            run: "click",
        },
        {
            content: "The dialog closes, back on the device",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name=barcode]",
        },
    ],
});
