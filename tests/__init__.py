from . import test_device
