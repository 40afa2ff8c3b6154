from . import (
    maintenance_equipment,
    product_template,
    res_company,
    res_config_settings,
    service_contract,
    service_contract_sla,
    stock_move,
)
