"""The customers: group customers with their hierarchies, standalone key accounts and
commercial customers, each with an owner, 24 months of bills and its current grade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from telekam.accounts.models import Account, AccountLevel, AccountStatus, Segment
from telekam.demo import data, orgs, spend
from telekam.demo.forge import Forge, Place
from telekam.demo.staff import Staff
from telekam.org.models import IndustryGroup, User

KEY_ACCOUNTS = 4000
COMMERCIAL_ACCOUNTS = 3000
GROUP_CUSTOMERS = 60
AM_FINANCE_STANDALONE = 14

# Industry groups' shares of the accounts.
KEY_GROUP_WEIGHTS = {"government": 0.18, "finance": 0.15, "enterprise": 0.25,
                     "hightech": 0.18, "multinational": 0.10, "expansion": 0.14}  # fmt: skip
COMMERCIAL_GROUP_WEIGHTS = {"government": 0.03, "finance": 0.05, "enterprise": 0.37,
                            "hightech": 0.27, "multinational": 0.05, "expansion": 0.23}  # fmt: skip
GROUP_CUSTOMER_WEIGHTS = {"finance": 0.25, "enterprise": 0.30, "hightech": 0.15,
                          "multinational": 0.15, "expansion": 0.15}  # fmt: skip
# Band weights, lowest band first (crystal ... crown; D ... A+).
KEY_BANDS = (0.52, 0.28, 0.13, 0.05, 0.016, 0.004)
HQ_BANDS = (0.0, 0.0, 0.40, 0.35, 0.18, 0.07)
PROVINCIAL_BANDS = (0.0, 0.30, 0.45, 0.22, 0.03, 0.0)
BRANCH_BANDS = (0.55, 0.37, 0.08, 0.0, 0.0, 0.0)
COMMERCIAL_BANDS = (0.22, 0.33, 0.27, 0.18)
# Discount ranges (percent) and head counts by band, lowest band first.
KEY_DISCOUNTS = ((5, 12), (8, 15), (10, 20), (15, 25), (18, 28), (20, 30))
COMMERCIAL_DISCOUNTS = ((0, 3), (0, 5), (2, 8), (4, 12))
INVERTED_DISCOUNT = (13.0, 15.0)  # A+ customers treated better than crystal key accounts
KEY_EMPLOYEES = ((30, 300), (80, 800), (200, 2000), (500, 5000), (1000, 20000), (3000, 80000))
COMMERCIAL_EMPLOYEES = ((3, 20), (5, 30), (8, 50), (10, 80))
# Share of accounts per trend (the rest is stable): key, commercial.
TREND_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    Segment.KEY: ((spend.GROWING, 0.08), (spend.DECLINING, 0.065), (spend.SHARP_DECLINE, 0.035)),
    Segment.COMMERCIAL: (
        (spend.GROWING, 0.06),
        (spend.DECLINING, 0.08),
        (spend.SHARP_DECLINE, 0.03),
    ),
}
PRODUCT_STOP_SHARE = 0.015


@dataclass
class Draft:
    """One account being generated, with what the later steps need to know about it."""

    account: Account
    group_code: str
    org_kind: str
    domain: str
    place: Place
    depth: int = 0  # 0 top / standalone, 1 provincial, 2 branch
    trend: str = spend.STABLE
    stop: tuple[str, int] | None = None
    series: dict[str, list[int]] = field(default_factory=dict)
    band: spend.Band | None = None
    parent: Draft | None = None
    members: list[Draft] = field(default_factory=list)  # for a group HQ: everyone below it

    @property
    def grade_band(self) -> spend.Band:
        if self.band is None:
            raise RuntimeError("demo: the account's grade is drawn with its spend")
        return self.band


@dataclass(frozen=True)
class Scale:
    key: int
    commercial: int
    group_customers: int
    am_finance_standalone: int

    @classmethod
    def of(cls, factor: float) -> Scale:
        return cls(
            key=round(KEY_ACCOUNTS * factor),
            commercial=round(COMMERCIAL_ACCOUNTS * factor),
            group_customers=max(2, round(GROUP_CUSTOMERS * factor)),
            am_finance_standalone=max(2, min(AM_FINANCE_STANDALONE, round(140 * factor))),
        )


def _in_office_building(identity: orgs.OrgIdentity) -> bool:
    code = identity.credit_code or ""
    return code.startswith(("91", "31"))


def _two_percent(n: int) -> int:
    return max(1, round(n * 0.02)) if n else 0


class PortfolioBuilder:
    """Draws every account in a fixed order, so one seed always gives the same portfolio."""

    def __init__(
        self,
        forge: Forge,
        *,
        staff: Staff,
        groups: dict[str, IndustryGroup],
        bands: spend.Bands,
        calendar: spend.Calendar,
        circuit_products: frozenset[str],
        today: dt.date,
    ) -> None:
        self.forge = forge
        self.rng = forge.rng
        self.staff = staff
        self.groups = groups
        self.bands = bands
        self.calendar = calendar
        self.circuit_products = circuit_products
        self.today = today

    def build(self, scale: Scale) -> list[Draft]:
        drafts: list[Draft] = []
        for index in range(scale.group_customers):
            drafts.extend(self._group_customer(first=index == 0))
        standalone = max(0, scale.key - len(drafts))
        drops = set(self.rng.sample(range(standalone), k=min(standalone, _two_percent(scale.key))))
        for index in range(standalone):
            # am_finance's own portfolio comes first: a dozen finance key accounts.
            if index < scale.am_finance_standalone:
                group, owner = "finance", self.staff.am_finance
            else:
                group, owner = self._weighted_group(KEY_GROUP_WEIGHTS), None
            drafts.append(self._standalone(group, Segment.KEY, owner=owner, review=index in drops))
        rises = set(self.rng.sample(range(scale.commercial), k=_two_percent(scale.commercial)))
        for index in range(scale.commercial):
            group = self._weighted_group(COMMERCIAL_GROUP_WEIGHTS)
            drafts.append(
                self._standalone(group, Segment.COMMERCIAL, owner=None, review=index in rises)
            )
        self._assign_codes(drafts)
        self._assign_discounts(drafts)
        return drafts

    def _weighted_group(self, weights: dict[str, float]) -> str:
        return self.forge.weighted(list(weights), list(weights.values()))

    # --- group customers ----------------------------------------------------------------

    def _group_customer(self, *, first: bool) -> list[Draft]:
        """A headquarters in Beijing, 2-5 provincial companies, 1-4 branches under each.

        The first is am_finance's bank: three provinces with two branches each, mostly owned
        by am_finance and partly by colleagues, who sit on its virtual team.
        """
        group = "finance" if first else self._weighted_group(GROUP_CUSTOMER_WEIGHTS)
        template = orgs.GROUP_TEMPLATES["finance"][0] if first else None
        naming = orgs.group_naming(self.forge, group, template=template)
        national = self.staff.am_finance if first else self._random_am(group)
        if national is None:
            raise RuntimeError("demo: am_finance missing from the staff")
        hq = self._draft(naming.hq(self.forge), group, national, AccountLevel.HEADQUARTERS, 0)
        self._set_spend(hq, Segment.KEY, HQ_BANDS)
        provinces = self.rng.sample(data.PROVINCES, k=3 if first else self.rng.randint(2, 5))
        for p_index, province in enumerate(provinces):
            p_owner = self._member_owner(group, national, first=first, mine=p_index < 2, keep=0.4)
            identity = naming.member(self.forge, province, province.cities[0], provincial=True)
            prov = self._member(identity, group, p_owner, parent=hq, depth=1)
            hq.members.append(prov)
            count = 2 if first else self.rng.randint(1, 4)
            for b_index, city in enumerate(self.rng.sample(province.cities, k=count)):
                mine = p_index == 0 or (p_index == 1 and b_index == 0)
                b_owner = self._member_owner(group, p_owner, first=first, mine=mine, keep=0.5)
                identity = naming.member(self.forge, province, city, provincial=False)
                hq.members.append(self._member(identity, group, b_owner, parent=prov, depth=2))
        return [hq, *hq.members]

    def _member(
        self, identity: orgs.OrgIdentity, group: str, owner: User, *, parent: Draft, depth: int
    ) -> Draft:
        level = AccountLevel.PROVINCIAL if depth == 1 else AccountLevel.BRANCH
        draft = self._draft(identity, group, owner, level, depth)
        draft.parent = parent
        draft.account.parent = parent.account
        draft.account.root = (parent.parent or parent).account
        self._set_spend(draft, Segment.KEY, PROVINCIAL_BANDS if depth == 1 else BRANCH_BANDS)
        return draft

    def _member_owner(
        self, group: str, above: User, *, first: bool, mine: bool, keep: float
    ) -> User:
        """Members are owned by the AM above them or by another AM of the same group."""
        if first:
            return above if mine else self._random_am(group)
        return above if self.forge.chance(keep) else self._random_am(group)

    def _random_am(self, group: str) -> User:
        return self.staff.pick_am(self.forge, group, exclude=self.staff.am_finance)

    # --- standalone accounts ------------------------------------------------------------

    def _standalone(self, group: str, segment: str, *, owner: User | None, review: bool) -> Draft:
        """`review`: a candidate of the yearly review (a key account dropping below the
        threshold, a commercial customer rising above it)."""
        identity = orgs.organisation(self.forge, group_code=group, small=segment != Segment.KEY)
        owner = owner or self._random_am(group)
        draft = self._draft(identity, group, owner, AccountLevel.STANDALONE, 0)
        if segment == Segment.KEY:
            self._set_spend(draft, segment, KEY_BANDS, trend=spend.DROP_OFF if review else None)
        else:
            self._set_spend(draft, segment, COMMERCIAL_BANDS, trend=spend.RISE if review else None)
        return draft

    def _draft(
        self, identity: orgs.OrgIdentity, group: str, owner: User, level: str, depth: int
    ) -> Draft:
        place = identity.place
        domain = identity.domain
        account = Account(
            name=identity.name,
            short_name=identity.short_name,
            credit_code=identity.credit_code,
            industry=identity.industry,
            group=self.groups[group],
            owner=owner,
            level=level,
            status=AccountStatus.ACTIVE,
            province=place.province,
            city=place.city,
            # Firms sit in office buildings; government bodies, schools, hospitals and
            # military units have their own compound at a street number.
            address=self.forge.address(
                place, building=_in_office_building(identity), street=identity.street
            ),
            phone=self.forge.landline(place),
            email=f"{self.forge.pick(('office', 'info', 'service', 'contact'))}@{domain}"
            if domain
            else "",
            website=f"www.{domain}" if domain else "",
        )
        return Draft(account, group, identity.org_kind, domain, place, depth=depth)

    # --- spend, grade, size -------------------------------------------------------------

    def _set_spend(
        self, draft: Draft, segment: str, weights: tuple[float, ...], trend: str | None = None
    ) -> None:
        threshold = self.bands.threshold
        if trend == spend.DROP_OFF:
            target = self.rng.uniform(threshold * 1.02, threshold * 1.27)
        elif trend == spend.RISE:
            target = self.rng.uniform(threshold * 0.77, threshold * 0.96)
        else:
            target = self.bands.target(self.rng, segment, weights)
            trend, target = self._trend(segment, target)
        shares = self._products(draft.group_code, segment)
        draft.trend = trend
        draft.stop = self._stop(segment, trend, shares)
        draft.series = spend.draw_series(
            self.rng, self.calendar, target=target, shares=shares, trend=trend, stop=draft.stop
        )
        self._hold_segment(draft, segment)
        band = self.bands.classify(spend.average(draft.series, self.calendar.list_window))
        draft.band = band
        account = draft.account
        account.segment = band.segment
        account.grade_id = band.pk
        account.star_level = band.stars
        account.key_list_year = self.today.year if band.segment == Segment.KEY else None
        self._set_size(draft, band)

    def _trend(self, segment: str, target: float) -> tuple[str, float]:
        draw = self.rng.random()
        threshold = self.bands.threshold
        trend = spend.STABLE
        for kind, share in TREND_SHARES[segment]:
            if draw < share:
                trend = kind
                break
            draw -= share
        if trend == spend.STABLE:
            return trend, target
        if segment == Segment.KEY and trend != spend.GROWING and target < threshold * 1.3:
            # A falling account this close to the line would leave the key list: those are
            # the designed drop-offs only, so move it up the band instead.
            target = self.rng.uniform(threshold * 1.35, threshold * 2.5)
        if segment == Segment.COMMERCIAL and trend == spend.GROWING and target > threshold / 1.4:
            target = self.rng.uniform(threshold / 4, threshold / 1.5)
        return trend, target

    def _hold_segment(self, draft: Draft, segment: str) -> None:
        """Keep the yearly review's candidates exactly the designed ones (about 2% each)."""
        threshold = self.bands.threshold
        if segment == Segment.KEY:
            if draft.trend == spend.DROP_OFF:
                spend.hold_recent(draft.series, self.calendar, above=None, below=threshold * 0.97)
            else:
                spend.hold_recent(draft.series, self.calendar, above=threshold * 1.01, below=None)
        elif draft.trend == spend.RISE:
            spend.hold_recent(draft.series, self.calendar, above=threshold * 1.03, below=None)
        else:
            spend.hold_recent(draft.series, self.calendar, above=None, below=threshold * 0.99)

    def _products(self, group: str, segment: str) -> dict[str, float]:
        """2-4 products (commercial 2-3) in the group's usual mix, with their bill shares."""
        mix = dict(
            data.PRODUCT_MIX[group] if segment == Segment.KEY else data.COMMERCIAL_PRODUCT_MIX
        )
        count = (
            self.forge.weighted((2, 3, 4), (0.3, 0.4, 0.3))
            if segment == Segment.KEY
            else self.forge.weighted((2, 3), (0.7, 0.3))
        )
        chosen: list[str] = []
        for _ in range(count):
            product = self.forge.weighted(list(mix), list(mix.values()))
            chosen.append(product)
            del mix[product]
        if segment == Segment.KEY and not any(p in self.circuit_products for p in chosen):
            circuits = [p for p in mix if p in self.circuit_products]
            chosen[-1] = max(circuits, key=lambda p: mix[p])
        return {p: data.PRODUCT_SIZE[p] * self.rng.lognormvariate(0, 0.5) for p in chosen}

    def _stop(self, segment: str, trend: str, shares: dict[str, float]) -> tuple[str, int] | None:
        """A handful of key accounts stop billing for one (not their biggest) product."""
        if segment != Segment.KEY or trend == spend.DROP_OFF or len(shares) < 3:
            return None
        if not self.forge.chance(PRODUCT_STOP_SHARE / 0.7):  # ~70% have 3+ products
            return None
        biggest = max(shares, key=lambda p: shares[p])
        product = self.forge.pick([p for p in shares if p != biggest])
        return product, self.rng.randint(spend.MONTHS - 11, spend.MONTHS - 2)

    def _set_size(self, draft: Draft, band: spend.Band) -> None:
        account = draft.account
        key = band.segment == Segment.KEY
        bands = self.bands.key if key else self.bands.commercial
        index = min(bands.index(band), len(KEY_EMPLOYEES if key else COMMERCIAL_EMPLOYEES) - 1)
        low, high = (KEY_EMPLOYEES if key else COMMERCIAL_EMPLOYEES)[index]
        account.employees = int(low * (high / low) ** self.rng.random())
        if draft.org_kind in ("finance", "corporate"):
            revenue = account.employees * self.rng.uniform(30, 120)
            account.annual_revenue_wan = Decimal(f"{revenue:.2f}")
        if key and (index >= 3 or self.forge.chance(0.35)):
            account.strategy_notes = self.forge.pick(data.STRATEGY_NOTES).format(
                year=self.today.year + 1,
                budget=self.rng.randint(2, 80) * 10 * (index + 1),
                month=self.rng.randint(1, 12),
            )
            public = draft.org_kind not in ("finance", "corporate")
            notes = data.FINANCIAL_NOTES_PUBLIC if public else data.FINANCIAL_NOTES_CORPORATE
            revenue_yi = (account.annual_revenue_wan or Decimal("0")) / 10000
            account.financial_notes = self.forge.pick(notes).format(revenue=f"{revenue_yi:.1f}")

    # --- codes and discounts ------------------------------------------------------------

    def _assign_codes(self, drafts: list[Draft]) -> None:
        counters: dict[str, int] = {}
        for draft in drafts:
            prefix = "KA" if draft.account.segment == Segment.KEY else "CA"
            counters[prefix] = counters.get(prefix, 0) + 1
            draft.account.code = f"{prefix}{counters[prefix]:08d}"

    def _assign_discounts(self, drafts: list[Draft]) -> None:
        """Discounts grow with value; a few A+ customers get more than crystal key accounts
        (the "chicken head, phoenix tail" inversion the product must flag)."""
        top = self.bands.commercial[-1]
        top_commercial = [d for d in drafts if d.band is top]
        inverted = {
            id(d)
            for d in self.rng.sample(
                top_commercial, k=min(len(top_commercial), max(2, len(top_commercial) // 30))
            )
        }
        for draft in drafts:
            band = draft.grade_band
            if id(draft) in inverted:
                low, high = INVERTED_DISCOUNT
            elif band.segment == Segment.KEY:
                low, high = KEY_DISCOUNTS[min(self.bands.key.index(band), len(KEY_DISCOUNTS) - 1)]
            else:
                index = self.bands.commercial.index(band)
                low, high = COMMERCIAL_DISCOUNTS[min(index, len(COMMERCIAL_DISCOUNTS) - 1)]
            half_points = round(self.rng.uniform(low, high) * 2)
            draft.account.discount_pct = Decimal(half_points) / 2
