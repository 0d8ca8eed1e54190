from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from telekam.accounts.models import (
    Account,
    Contact,
    DecisionRole,
    GradeBand,
    Industry,
    Segment,
    ServiceInUse,
    Site,
    SiteKind,
    VirtualTeamMember,
)
from telekam.catalog.models import Product
from telekam.org.tests.factories import UserFactory


def band(code: str, segment: str = "key") -> GradeBand:
    return GradeBand.objects.get(segment=segment, code=code)


def product(code: str = "digital_circuit") -> Product:
    return Product.objects.get(code=code)


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"KA{n:08d}")
    name = factory.Sequence(lambda n: f"测试集团有限公司{n}")
    segment = Segment.KEY
    grade = factory.LazyFunction(lambda: band("crystal"))
    star_level = 1
    industry = Industry.FINANCE
    owner = factory.SubFactory(UserFactory)
    group = factory.LazyAttribute(lambda o: o.owner.group)
    avg_monthly_spend = Decimal("5000.00")

    @factory.post_generation
    def set_root(obj, create, extracted, **kwargs):
        if create and obj.root_id is None:
            obj.root_id = obj.parent.root_id if obj.parent_id else obj.pk
            Account.objects.filter(pk=obj.pk).update(root_id=obj.root_id)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"李联系{n}")
    decision_role = DecisionRole.TECHNICAL
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"站点{n}")
    kind = SiteKind.OFFICE


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = ServiceInUse

    account = factory.SubFactory(AccountFactory)
    product = factory.LazyFunction(lambda: product("digital_circuit"))
    number = factory.Sequence(lambda n: f"BJ-DC-{n:06d}")
    activated_on = dt.date(2024, 3, 1)
    monthly_fee = Decimal("2800.00")


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = VirtualTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = "provincial"
