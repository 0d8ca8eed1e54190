from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from telekam.core.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the top navigation needs to know about the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from telekam.accounts import access
    from telekam.retention import access as retention_access
    from telekam.retention.models import ChurnWarning, WarningStatus
    from telekam.sales import access as sales_access
    from telekam.value import access as value_access

    nav = access.navigation_for(user)
    nav["sales"] = sales_access.can_use_sales(user)
    nav["warnings"] = retention_access.sees_warnings(user)
    nav["value"] = value_access.sees_value(user)
    nav["dashboard"] = nav["value"]  # the dashboards show revenue: who sees value sees them
    return {
        "nav": nav,
        # One COUNT query, run only when a template shows it (the bell in base.html), so
        # htmx fragments rendered with the same context do not pay for it.
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        ),
        # The user's warnings waiting for acknowledgement: one COUNT, only when shown.
        "open_warnings": SimpleLazyObject(
            lambda: ChurnWarning.objects.filter(assignee=user, status=WarningStatus.OPEN).count()
            if nav["warnings"]
            else 0
        ),
    }
