"""The appraisal service: templates, KPI facts from ticket and staff events, cycles with supervisor
and self ratings, calibration, final scores, grades, ranks and promotion recommendations.

Each method reads parse -> decide (``appraisal.domain``) -> store (``storage``) -> dispatch. Who may
call what is in ``appraisal.permissions``. Cycles and ratings (``reviews``), finalisation
(``finalization``) and the event handlers (``kpi_facts``) are parts of this class in modules of their own.
"""
from anchang_common.base import ServiceBase
from anchang_common.calls import ServiceRpc
from anchang_common.entrypoints import rpc
from anchang_common.events import Events
from anchang_common.gate import Auth
from appraisal import schemas, views
from appraisal.finalization import Finalization
from appraisal.kpi_facts import KpiFacts
from appraisal.permissions import PERMISSIONS
from appraisal.reviews import Reviews
from appraisal.settings import AppraisalSettings
from appraisal.storage import AppraisalStore


class Service(Reviews, Finalization, KpiFacts, ServiceBase):
    name = "appraisal"

    permissions = PERMISSIONS

    store = AppraisalStore()
    auth = Auth()
    events = Events()
    settings = AppraisalSettings()
    staff = ServiceRpc("staff")

    @rpc
    def create_template(self, template, idempotency_key=None):
        created = self.store.add_template(schemas.parse_template(template))
        return views.stored_template_view(*created)

    @rpc
    def list_templates(self):
        return [views.stored_template_view(*stored) for stored in self.store.templates()]

    @rpc
    def get_template(self, code):
        """The template of ``code`` in any case, returned as written."""
        return views.stored_template_view(*self.store.template(schemas.parse_code("code", code)))
