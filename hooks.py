def post_init_hook(env):
    """Equipment that existed before the install gets a device barcode and a label token."""
    env["maintenance.equipment"].with_context(active_test=False).search(
        ["|", ("barcode", "=", False), ("label_token", "=", False)]
    )._fill_missing_identifiers()
