from . import test_device, test_labels
