/** @odoo-module **/
// Scanning a device label on the device screens opens that device; on the work-order
// screens it opens the device's open work order (or starts one). The core barcode service
// turns the scanner's keystrokes into "barcode_scanned" events.
import { registry } from "@web/core/registry";

const SCAN_TARGETS = new Set(["maintenance.equipment", "maintenance.request"]);

export const deviceBarcodeService = {
    dependencies: ["barcode", "action", "orm"],
    start(env, { barcode, action, orm }) {
        barcode.bus.addEventListener("barcode_scanned", async (ev) => {
            const model = action.currentController?.action?.res_model;
            if (!SCAN_TARGETS.has(model)) {
                return;
            }
            const result = await orm.call(model, "action_open_by_barcode", [ev.detail.barcode]);
            await action.doAction(result);
        });
    },
};

registry.category("services").add("device_barcode_scan", deviceBarcodeService);
