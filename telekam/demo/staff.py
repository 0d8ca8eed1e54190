"""The key-account department's demo staff: fixed logins per role and ~200 account managers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from telekam.demo.forge import Forge
from telekam.org.models import IndustryGroup, Role, User

DEMO_PASSWORD = "Telekam-2026!"  # noqa: S105 - the published demo password
INDUSTRY_GROUPS = ("government", "finance", "enterprise", "hightech", "multinational", "expansion")
AM_TOTAL = 200

# One memorable login per role: (username, role, group code, label).
FIXED_LOGINS: tuple[tuple[str, str, str | None, str], ...] = (
    ("head", Role.DEPARTMENT_HEAD, None, "部门经理 / Department head"),
    ("lead_finance", Role.GROUP_LEAD, "finance", "金融组组长 / Group lead, finance"),
    ("am_finance", Role.ACCOUNT_MANAGER, "finance", "金融组客户经理 / Account manager, finance"),
    ("presales", Role.PRESALES, "finance", "售前支撑 / Pre-sales engineer"),
    ("desk", Role.SERVICE_DESK, "support", "客服回访 / Service desk"),
    ("ops", Role.OPERATIONS, "support", "运维 / Operations"),
    ("analyst", Role.ANALYST, "analysis", "经营分析 / Analyst"),
    ("admin", Role.ADMIN, None, "系统管理员 / Administrator"),
)
# The rest of the department besides the account managers.
OTHER_STAFF: tuple[tuple[str, str, str | None], ...] = (
    *((f"lead_{code}", Role.GROUP_LEAD, code) for code in INDUSTRY_GROUPS if code != "finance"),
    ("analyst2", Role.ANALYST, "analysis"),
    ("presales2", Role.PRESALES, "government"),
    ("presales3", Role.PRESALES, "hightech"),
    ("desk2", Role.SERVICE_DESK, "support"),
    ("desk3", Role.SERVICE_DESK, "support"),
    ("ops2", Role.OPERATIONS, "support"),
)
_AM_USERNAME = re.compile(r"^am\d{3}$")


def demo_usernames() -> list[str]:
    """The fixed demo usernames (the numbered AMs am001... are recognised by pattern)."""
    return [u for u, *_ in FIXED_LOGINS] + [u for u, *_ in OTHER_STAFF]


def is_demo_username(username: str) -> bool:
    return username in demo_usernames() or bool(_AM_USERNAME.match(username))


@dataclass
class Staff:
    users: list[User] = field(default_factory=list)
    ams: dict[str, list[User]] = field(default_factory=dict)  # group code -> AMs
    am_weights: dict[int, float] = field(default_factory=dict)  # id(user) -> workload weight
    presales: dict[str, User] = field(default_factory=dict)  # group code -> engineer
    am_finance: User | None = None

    def pick_am(self, forge: Forge, group: str, *, exclude: User | None = None) -> User:
        """An AM of `group`, busier AMs more likely (portfolios are uneven in practice)."""
        ams = [u for u in self.ams[group] if u is not exclude]
        return forge.weighted(ams, [self.am_weights[id(u)] for u in ams])


def build_staff(
    forge: Forge, *, groups: dict[str, IndustryGroup], password_hash: str, am_count: int
) -> Staff:
    """Unsaved users of the department, every one with the same (pre-hashed) password."""
    staff = Staff(ams={code: [] for code in INDUSTRY_GROUPS})

    def add(username: str, role: str, group_code: str | None) -> User:
        person = forge.person()
        user = User(
            username=username,
            first_name=person.given,
            last_name=person.surname,
            email=f"{username}@bj.telekam.example",
            role=role,
            group=groups[group_code] if group_code else None,
            employee_no=f"DK{len(staff.users) + 1:05d}",
            mobile=forge.mobile(telecom=True),
            hired_on=dt.date(forge.rng.randint(2003, 2025), forge.rng.randint(1, 12), 1),
            password=password_hash,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        staff.users.append(user)
        if role == Role.ACCOUNT_MANAGER and group_code:
            staff.ams[group_code].append(user)
            staff.am_weights[id(user)] = forge.rng.lognormvariate(0, 0.25)
        if role == Role.PRESALES and group_code:
            staff.presales[group_code] = user
        return user

    for username, role, group_code, _label in FIXED_LOGINS:
        user = add(username, role, group_code)
        if username == "am_finance":
            staff.am_finance = user
    for username, role, group_code in OTHER_STAFF:
        add(username, role, group_code)
    # am_finance is one of the AMs; the others are am001, am002, ... spread over the groups.
    per_group = [am_count // len(INDUSTRY_GROUPS)] * len(INDUSTRY_GROUPS)
    for i in range(am_count % len(INDUSTRY_GROUPS)):
        per_group[i] += 1
    number = 0
    for code, count in zip(INDUSTRY_GROUPS, per_group, strict=True):
        for _ in range(count - (1 if code == "finance" else 0)):
            number += 1
            add(f"am{number:03d}", Role.ACCOUNT_MANAGER, code)
    return staff


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role label, password) of one demo login per role, for the start script."""
    return [(username, label, DEMO_PASSWORD) for username, _r, _g, label in FIXED_LOGINS]
