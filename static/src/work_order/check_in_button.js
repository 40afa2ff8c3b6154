/** @odoo-module **/
// The technician's Check In on a phone: the position where the phone says they are, when
// it allows (asked once, at most a few seconds), goes with the check-in; without it the
// check-in is recorded all the same.
import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const POSITION_TIMEOUT_MS = 8000;

function currentPosition() {
    return new Promise((resolve) => {
        if (!navigator.geolocation) {
            resolve(null);
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (position) => resolve(position.coords),
            () => resolve(null),
            { enableHighAccuracy: true, timeout: POSITION_TIMEOUT_MS, maximumAge: 60000 }
        );
    });
}

export class CheckInButton extends Component {
    static template = "barcode_device_service.CheckInButton";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
    }

    async onClick() {
        const record = this.props.record;
        if (!(await record.save())) {
            return;
        }
        const coords = await currentPosition();
        const kwargs = coords ? { latitude: coords.latitude, longitude: coords.longitude } : {};
        await this.orm.call(record.resModel, "action_check_in", [[record.resId]], kwargs);
        await record.load();
    }
}

registry.category("view_widgets").add("bds_check_in", { component: CheckInButton });
