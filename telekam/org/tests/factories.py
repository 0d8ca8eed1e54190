from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from telekam.org.models import IndustryGroup, Role, User

TEST_PASSWORD = "Correct-Horse-42"


def group(code: str) -> IndustryGroup:
    """One of the groups the migration creates (government, finance, enterprise, ...)."""
    return IndustryGroup.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "王"
    first_name = factory.Sequence(lambda n: f"测{n}")
    role = Role.ACCOUNT_MANAGER
    group = factory.LazyFunction(lambda: IndustryGroup.objects.get(code="finance"))
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))

    class Params:
        head = factory.Trait(role=Role.DEPARTMENT_HEAD, group=None)
        lead = factory.Trait(role=Role.GROUP_LEAD)
        analyst = factory.Trait(role=Role.ANALYST, group=None)
        desk = factory.Trait(role=Role.SERVICE_DESK, group=None)
        ops = factory.Trait(role=Role.OPERATIONS, group=None)
        presales = factory.Trait(role=Role.PRESALES)
        admin = factory.Trait(role=Role.ADMIN, group=None)
