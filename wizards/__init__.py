from . import device_label_wizard
