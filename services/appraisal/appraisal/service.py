"""The appraisal service: staff performance from KPIs and ratings.

Skeleton: templates can be read; cycles, ratings and scores come with the appraisal issue.
"""
import sqlalchemy as sa

from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.db import Database
from anchang_common.entrypoints import rpc
from anchang_common.errors import NotFound, ValidationError
from anchang_common.events import Events
from appraisal.models import Template
from appraisal.permissions import PERMISSIONS


class Service(ServiceBase, RevocationListener):
    name = "appraisal"

    permissions = PERMISSIONS

    db = Database()
    events = Events()

    @rpc
    def list_templates(self):
        return [_template_view(t) for t in self.db.scalars(sa.select(Template).order_by(Template.code))]

    @rpc
    def get_template(self, code):
        if not isinstance(code, str) or not code:
            raise ValidationError({"code": "must be a non-empty string"})
        template = self.db.get(Template, code)
        if template is None:
            raise NotFound("template not found")
        return _template_view(template)


def _template_view(template):
    return {"code": template.code, **template.definition, "created_at": template.created_at.isoformat()}
