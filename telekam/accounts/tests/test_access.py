import pytest

from telekam.accounts import access
from telekam.accounts.tests.factories import AccountFactory, TeamMemberFactory
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db


def test_am_sees_own_and_virtual_team_accounts_only():
    am = UserFactory()
    own = AccountFactory(owner=am)
    other = AccountFactory()
    team = AccountFactory(owner=UserFactory(group=group("government")))
    TeamMemberFactory(account=team, user=am)
    assert set(access.accounts_visible_to(am)) == {own, team}
    assert access.can_edit_account(am, team)
    assert not access.can_edit_account(am, other)


def test_lead_sees_own_group_not_others():
    lead = UserFactory(lead=True, group=group("finance"))
    mine = AccountFactory(owner=UserFactory(group=group("finance")))
    theirs = AccountFactory(owner=UserFactory(group=group("government")))
    assert list(access.accounts_visible_to(lead)) == [mine]
    assert not access.can_edit_account(lead, theirs)


@pytest.mark.parametrize("trait", ["head", "analyst", "desk", "ops", "admin"])
def test_department_wide_roles_see_all(trait):
    a, b = AccountFactory(), AccountFactory(owner=UserFactory(group=group("government")))
    user = UserFactory(**{trait: True})
    assert set(access.accounts_visible_to(user)) == {a, b}


@pytest.mark.parametrize(
    ("trait", "confidential", "edits"),
    [
        ("head", True, True),
        ("analyst", True, False),
        ("desk", False, False),
        ("ops", False, False),
    ],
)
def test_confidential_and_edit_rights(trait, confidential, edits):
    account = AccountFactory()
    user = UserFactory(**{trait: True})
    assert access.sees_confidential(user) is confidential
    assert access.can_edit_account(user, account) is edits


def test_inactive_user_sees_nothing():
    am = UserFactory(is_active=False)
    AccountFactory(owner=am)
    assert not access.accounts_visible_to(am).exists()
