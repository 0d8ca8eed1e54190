"""What the `telekam` management commands share about who they act as."""

from __future__ import annotations

from django.core.management.base import CommandError

from telekam.org.models import User


def command_actor(username: str | None, *, roles: tuple[str, ...]) -> User:
    """The user named by --as, or the first active user with one of `roles` (in that order).
    The command then runs with exactly that user's rights."""
    if username:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"没有名为 {username} 的有效用户。") from None
    for role in roles:
        user = User.objects.filter(role=role, is_active=True).order_by("pk").first()
        if user is not None:
            return user
    raise CommandError("找不到可以执行此操作的用户，请用 --as 指定用户名。")
