from __future__ import annotations

from django.http import HttpRequest

from telekam.org.models import User


class AuthedHttpRequest(HttpRequest):
    """The request of a view behind login_required: `user` is a real User."""

    user: User
