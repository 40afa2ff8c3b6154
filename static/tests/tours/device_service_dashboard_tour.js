/** @odoo-module **/
// The service manager opens the Device Service dashboard in the Dashboards app: its cards and
// charts load their figures (a failing one would log a client error and fail the tour).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("barcode_device_service_dashboard", {
    steps: () => [
        {
            content: "Pick the Device Service dashboard",
            trigger: ".o_search_panel li:contains(Device Service)",
            run: "click",
        },
        {
            // Figures are drawn as they scroll into view: the cards and the first charts.
            content: "Its cards and charts are drawn",
            trigger: ".o-spreadsheet .o-figure",
            run() {
                const count = document.querySelectorAll(".o-spreadsheet .o-figure").length;
                if (count < 6) {
                    throw new Error(`Expected the cards and charts on screen, found ${count}`);
                }
            },
        },
    ],
});
