from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Version 18.0.1.0.0 installed over existing work orders gave them all one access token
    (any one of them opened every such work order in the portal): each gets its own."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["maintenance.request"]._refill_access_tokens()
