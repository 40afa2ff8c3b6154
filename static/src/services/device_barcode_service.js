/** @odoo-module **/
// Scanning a device label anywhere in the device screens opens that device: the core
// barcode service turns the scanner's keystrokes into "barcode_scanned" events.
import { registry } from "@web/core/registry";

export const deviceBarcodeService = {
    dependencies: ["barcode", "action", "orm"],
    start(env, { barcode, action, orm }) {
        barcode.bus.addEventListener("barcode_scanned", async (ev) => {
            const controller = action.currentController;
            if (controller?.action?.res_model !== "maintenance.equipment") {
                return;
            }
            const result = await orm.call("maintenance.equipment", "action_open_by_barcode", [
                ev.detail.barcode,
            ]);
            await action.doAction(result);
        });
    },
};

registry.category("services").add("device_barcode_scan", deviceBarcodeService);
