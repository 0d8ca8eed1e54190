from django.urls import include, path

urlpatterns = [
    path("", include("telekam.core.urls")),
    path("", include("telekam.org.urls")),
    path("accounts/", include("telekam.accounts.urls")),
    path("billing/", include("telekam.billing.urls")),
    path("service/", include("telekam.service.urls")),
    path("sales/", include("telekam.sales.urls")),
    path("visits/", include("telekam.engagement.urls")),
    path("retention/", include("telekam.retention.urls")),
    path("value/", include("telekam.value.urls")),
    path("dashboard/", include("telekam.dashboards.urls")),
    path("api/v1/", include("config.api_urls")),
]
