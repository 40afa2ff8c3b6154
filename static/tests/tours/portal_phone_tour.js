/** @odoo-module **/
// A customer on a phone (390 px wide): from the portal home to the work-order list, a work
// order and its device; every page reads fully (nothing cut, nothing wider than the screen).
import { registry } from "@web/core/registry";

// Fails the step when the page scrolls sideways or an element of ``selector`` reaches past
// the screen's right edge (a cut "time left", a table wider than its card).
function assertFits(selector) {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) {
        throw new Error(`The page is ${document.documentElement.scrollWidth}px wide on a ${width}px screen`);
    }
    for (const element of document.querySelectorAll(selector)) {
        const box = element.getBoundingClientRect();
        if (box.width && (box.left < -1 || box.right > width + 1)) {
            throw new Error(`"${element.textContent.trim().slice(0, 40)}" is cut (${box.left}-${box.right} of ${width}px)`);
        }
        // A text clipped by its own box ("…"), or a table wider than its card.
        const style = getComputedStyle(element);
        const clips = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
        if (clips && element.scrollWidth > element.clientWidth + 1) {
            throw new Error(`"${element.textContent.trim().slice(0, 40)}" is clipped (${element.tagName}.${element.className} ${element.scrollWidth}/${element.clientWidth})`);
        }
        const card = element.tagName === "TABLE" && element.closest(".card, .table-responsive");
        if (card && element.getBoundingClientRect().right > card.getBoundingClientRect().right + 1) {
            throw new Error(`A table ("${element.textContent.trim().slice(0, 40)}") overflows its card`);
        }
    }
}

registry.category("web_tour.tours").add("barcode_device_service_portal_phone", {
    steps: () => [
        {
            content: "The home offers to report a fault",
            trigger: ".o_portal_index_card a[href='/my/work-orders/new']:visible",
            run() {
                assertFits(".o_portal_index_card");
            },
        },
        {
            content: "Open the work orders",
            trigger: ".o_portal_index_card a[href='/my/work-orders']",
            run: "click",
        },
        {
            content: "Report a fault from the list",
            trigger: "a.o_bds_report_fault:visible",
            run() {
                assertFits("a.o_bds_report_fault, .o_portal_my_doc_table td");
            },
        },
        {
            content: "Open the work order",
            trigger: ".o_portal_my_doc_table tr:contains(Printer jams) a",
            run: "click",
        },
        {
            content: "Open its device",
            trigger: "a[href^='/my/devices/']:not([href$='/my/devices/'])",
            run: "click",
        },
        {
            content: "The device page's tables fit their cards",
            trigger: "body:contains(ZT411 at Shanghai Auto Parts Co.):contains(SN-bds_portal_a)",
            run() {
                assertFits("h1, h2, h3, h4, h5, .badge, table, td, th, .card");
            },
        },
        {
            content: "Back to the work order",
            trigger: "a[href^='/my/work-orders/']:contains(Printer jams)",
            run: "click",
        },
        {
            content: "Its title, status and the SLA's time left read fully",
            trigger: "body:contains(Printer jams):contains(Response)",
            run() {
                assertFits("h1, h2, h3, h4, h5, .badge, table, td, th");
            },
        },
        {
            content: "The conversation has loaded (the page is complete)",
            trigger: "#discussion:has(*)",
        },
    ],
});
