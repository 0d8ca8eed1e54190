"""The JSON API under /api/v1/: docs at /api/v1/docs, schema at /api/v1/openapi.json."""

from django.urls import path, re_path

from telekam.accounts.api import router as accounts_router
from telekam.billing.api import router as billing_router
from telekam.core.api import api, not_found_view
from telekam.dashboards.api import router as dashboards_router
from telekam.engagement.api import router as visits_router
from telekam.org.api import router as org_router
from telekam.retention.api import router as retention_router
from telekam.sales.api import router as sales_router
from telekam.service.api import router as service_router
from telekam.value.api import router as value_router

api.add_router("/", accounts_router)
api.add_router("/", billing_router)
api.add_router("/", org_router)
api.add_router("/", service_router)
api.add_router("/", sales_router)
api.add_router("/", visits_router)
api.add_router("/", retention_router)
api.add_router("/", value_router)
api.add_router("/", dashboards_router)

urlpatterns = [
    path("", api.urls),
    re_path(r"^.*$", not_found_view),
]
