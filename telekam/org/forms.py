from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from telekam.org import services


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing a username that failed too often recently."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("登录失败次数过多，该账号已临时锁定，请 %(minutes)d 分钟后再试或联系管理员。"),
    }

    def clean(self) -> dict[str, Any]:
        from django.conf import settings

        username = (self.data.get("username") or "").strip()
        if username and services.login_is_locked(username=username):
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.TELEKAM_LOGIN_LOCK_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                services.login_failure_record(username=username, ip=client_ip(self.request))
            raise
        services.login_success_record(username=username)
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100)
