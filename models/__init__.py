# The mixins before the models that inherit them (some models import others' constants).
from . import service_sla_document_mixin, service_sla_mixin

# isort: split
from . import (
    account_move,
    account_move_line,
    ir_qweb_field_datetime,
    maintenance_equipment,
    maintenance_request,
    maintenance_request_part,
    maintenance_stage,
    maintenance_team,
    product_product,
    product_template,
    res_company,
    res_config_settings,
    resource_calendar,
    service_contract,
    service_contract_billing,
    service_contract_price_lock,
    service_contract_sla,
    service_contract_stock_commitment,
    service_ledger_entry,
    service_penalty_rule,
    service_sla_line,
    service_sla_pause,
    service_stock_shortfall,
    stock_location,
    stock_move,
    stock_picking,
    stock_warehouse,
    stock_warehouse_orderpoint,
)
