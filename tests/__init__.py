from . import test_device, test_labels, test_stock_flow
