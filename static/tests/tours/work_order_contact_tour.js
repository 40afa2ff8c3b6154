/** @odoo-module **/
// The desk on its work orders: the card tells the time left, the form names the caller,
// and Send message writes to the customer's contact (never "No recipient").
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("barcode_device_service_desk_reply", {
    steps: () => [
        {
            content: "The card shows the working time left to the next deadline",
            trigger: ".o_kanban_record:contains(Printer offline):contains(left)",
            run: "click",
        },
        {
            content: "The caller and the number to call back are on the form",
            trigger: ".o_field_widget[name=caller_id] input:value(Wang Fang)",
        },
        {
            trigger: ".o_field_widget[name=caller_phone]:contains(+86 21 5555 0101), .o_field_widget[name=caller_phone] input:value(+86 21 5555 0101)",
        },
        {
            content: "Reply to the customer",
            trigger: ".o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            content: "The message goes to the customer's contact (shown by the name of their address)",
            trigger: ".o-mail-Chatter div:has(.o-mail-BaseRecipientsList-caret):contains(wang.fang)",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit A technician calls you within the hour.",
        },
        {
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "Posted",
            trigger: ".o-mail-Message:contains(A technician calls you within the hour.)",
        },
    ],
});
