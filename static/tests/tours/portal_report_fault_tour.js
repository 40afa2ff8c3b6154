/** @odoo-module **/
// The customer's flow: scan the device label (open its URL), log in, report a fault with a
// photo, find it in the list with its response deadline; later, rate the resolved work order.
import { registry } from "@web/core/registry";

// A 1x1 PNG, as a phone camera would send a (larger) picture.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function photoFile() {
    const bytes = Uint8Array.from(atob(PHOTO_PNG), (char) => char.charCodeAt(0));
    return new File([bytes], "jammed-labels.png", { type: "image/png" });
}

registry.category("web_tour.tours").add("barcode_device_service_portal_report_fault", {
    steps: () => [
        {
            content: "The label URL asks who you are",
            trigger: "form.oe_login_form input[name=login]",
            run: "edit bds_portal_a",
        },
        {
            trigger: "form.oe_login_form input[name=password]",
            run: "edit bds_portal_a",
        },
        {
            content: "Log in",
            trigger: "form.oe_login_form button[type=submit]",
            run: "click",
        },
        {
            content: "Back on the device's page, with the fault form open",
            trigger: "#report_form textarea[name=description]",
            run: "edit Labels feed crooked and jam after ten prints",
        },
        {
            content: "It slows production down",
            trigger: "#report_form input[name=severity][value=p2]",
            run: "click",
        },
        {
            content: "Attach a photo",
            trigger: "#report_form input[type=file][name=photos]",
            run() {
                const input = document.querySelector("#report_form input[name=photos]");
                const transfer = new DataTransfer();
                transfer.items.add(photoFile());
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Report the fault",
            trigger: "#report_form button[type=submit]",
            run: "click",
        },
        {
            content: "The work order's page shows the response milestone",
            trigger: "body:contains(Labels feed crooked):contains(Response)",
        },
        {
            content: "Go to the list of work orders",
            trigger: "ol.o_portal_submenu a[href^='/my/work-orders']",
            run: "click",
        },
        {
            content: "The new work order is listed with its response deadline",
            trigger:
                "tr:has(td:contains(Labels feed crooked)):has(a:contains(WO/)) td.text-end:contains(:)",
        },
    ],
});

registry.category("web_tour.tours").add("barcode_device_service_portal_rate", {
    steps: () => [
        {
            content: "The resolved work order asks for a rating: five stars",
            trigger: "#work_order_rating label[for=work_order_rating_5]",
            run: "click",
        },
        {
            trigger: "#work_order_rating textarea[name=feedback]",
            run: "edit Fixed on the first visit, thank you",
        },
        {
            content: "Send the rating",
            trigger: "#work_order_rating button[type=submit]",
            run: "click",
        },
        {
            content: "The rating is recorded",
            trigger: "#work_order_rating:contains(5 / 5):contains(Fixed on the first visit)",
        },
    ],
});
