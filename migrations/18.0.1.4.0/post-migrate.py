from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Version 18.0.1.4.0 dates each work order's resolution (``resolved_at``) for the
    service figures. Work orders closed before it get the end of their SLA clock, else
    the day core closed them, else their last change; their figures that hang on it are
    computed again."""
    cr.execute(
        """
        UPDATE maintenance_request request
           SET resolved_at = COALESCE(
                   (SELECT MAX(line.closed_at) FROM service_sla_line line
                     WHERE line.res_model = 'maintenance.request' AND line.res_id = request.id),
                   request.close_date::timestamp,
                   request.write_date)
          FROM maintenance_stage stage
         WHERE stage.id = request.stage_id
           AND (stage.done OR stage.is_resolved)
           AND request.resolved_at IS NULL
     RETURNING request.id
        """
    )
    ids = [row[0] for row in cr.fetchall()]
    env = api.Environment(cr, SUPERUSER_ID, {})
    requests = env["maintenance.request"].browse(ids)
    requests.modified(["resolved_at"])
    env.flush_all()
