from . import (
    test_contract,
    test_device,
    test_i18n,
    test_labels,
    test_security,
    test_sla_clock,
    test_sla_cron,
    test_sla_mixin,
    test_sla_queries,
    test_stock_commitment,
    test_stock_flow,
    test_tour,
)
