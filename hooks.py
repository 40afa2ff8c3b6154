def post_init_hook(env):
    """Equipment that existed before the install gets a device barcode and a label token;
    work orders get their reference."""
    env["maintenance.equipment"].with_context(active_test=False).search(
        ["|", ("barcode", "=", False), ("label_token", "=", False)]
    )._fill_missing_identifiers()
    requests = (
        env["maintenance.request"]
        .with_context(active_test=False)
        .search([("reference", "=", False)], order="id")
    )
    for request in requests:
        request.reference = (
            env["ir.sequence"]
            .with_company(request.company_id)
            .next_by_code("maintenance.request.reference")
        )
