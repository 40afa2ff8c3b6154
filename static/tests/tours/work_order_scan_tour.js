/** @odoo-module **/
// The desk scans a device label on the work-order kanban: the device's open work order
// opens; a label of a device without one starts a new work order for it.
import { registry } from "@web/core/registry";

// A hand scanner types the code fast and ends with Enter, on the page's body.
function scan(code) {
    for (const key of [...code, "Enter"]) {
        document.body.dispatchEvent(
            new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true })
        );
    }
}

registry.category("web_tour.tours").add("barcode_device_service_work_order_scan", {
    steps: () => [
        {
            content: "The work orders' kanban is open",
            trigger: ".o_kanban_view .o_kanban_record",
        },
        {
            content: "Scan the label of a device with an open work order",
            trigger: ".o_kanban_view",
            run: () => scan("SCAN-DEV-0001"),
        },
        {
            content: "Its open work order opens",
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Feeder jams)",
        },
        {
            content: "Back to the work orders",
            trigger: ".o_breadcrumb .o_back_button a, .breadcrumb-item a",
            run: "click",
        },
        {
            trigger: ".o_kanban_view .o_kanban_record",
        },
        {
            content: "Scan the label of a device without a work order",
            trigger: ".o_kanban_view",
            run: () => scan("SCAN-DEV-0002"),
        },
        {
            content: "A new work order for that device",
            trigger: ".o_form_view .o_field_widget[name=equipment_id] input:value(Scan printer two)",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Ribbon sensor error",
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
