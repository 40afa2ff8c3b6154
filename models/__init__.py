from . import (
    maintenance_equipment,
    product_template,
    res_company,
    res_config_settings,
    stock_move,
)
