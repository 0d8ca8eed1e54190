from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:my_accounts")
    return redirect("login")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """A small fixed page: load balancers' health check, and the benchmark's floor."""
    return HttpResponse("ok\n", content_type="text/plain")
