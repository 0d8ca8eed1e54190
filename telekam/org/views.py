from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telekam.core.http import AuthedHttpRequest
from telekam.org import services
from telekam.org.forms import LockoutAuthenticationForm, TokenForm
from telekam.org.models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True


@login_required
def tokens(request: AuthedHttpRequest) -> HttpResponse:
    new_key = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
        form = TokenForm()
    items = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "org/tokens.html", {"form": form, "tokens": items, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    if services.api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, _("令牌已吊销。"))
    return redirect("tokens")
