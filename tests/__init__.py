from . import test_device, test_labels, test_security, test_stock_flow, test_tour
