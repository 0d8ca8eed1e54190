"""The account file around each account: sites, contacts and their org chart, services in
use (consistent with the bills), major events, competitor information, virtual teams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from telekam.accounts.models import (
    Account,
    CompetitorInfo,
    Contact,
    ContactLayer,
    DecisionRole,
    MajorEvent,
    Segment,
    ServiceInUse,
    ServiceStatus,
    Site,
    SiteKind,
    SlaLevel,
    TeamRole,
    VirtualTeamMember,
)
from telekam.catalog.models import Product
from telekam.demo import data, spend
from telekam.demo.forge import Forge, Place, beijing_place
from telekam.demo.portfolio import Draft
from telekam.demo.staff import Staff

# Decision roles of the contacts by how many an account has; the first is the top.
ROLE_SETS: dict[int, tuple[str, ...]] = {
    1: (DecisionRole.DECISION_MAKER,),
    2: (DecisionRole.DECISION_MAKER, DecisionRole.TECHNICAL),
    3: (DecisionRole.DECISION_MAKER, DecisionRole.TECHNICAL, DecisionRole.FINANCE),
    4: (DecisionRole.DECISION_MAKER, DecisionRole.INFLUENCER, DecisionRole.TECHNICAL,
        DecisionRole.FINANCE),
    5: (DecisionRole.DECISION_MAKER, DecisionRole.INFLUENCER, DecisionRole.TECHNICAL,
        DecisionRole.FINANCE, DecisionRole.USER),
    6: (DecisionRole.DECISION_MAKER, DecisionRole.INFLUENCER, DecisionRole.TECHNICAL,
        DecisionRole.FINANCE, DecisionRole.USER, DecisionRole.USER),
}  # fmt: skip
ROLE_INDEX: dict[str, int] = {
    DecisionRole.DECISION_MAKER: 0,
    DecisionRole.INFLUENCER: 1,
    DecisionRole.TECHNICAL: 2,
    DecisionRole.FINANCE: 3,
    DecisionRole.USER: 4,
}
LAYER_BY_DEPTH = (ContactLayer.HEADQUARTERS, ContactLayer.PROVINCIAL, ContactLayer.BRANCH)
DATACENTER_DISTRICTS = ("大兴区", "顺义区", "海淀区", "朝阳区")
MAX_SERVICES = 6
EVENT_SHARE = {Segment.KEY: 0.2, Segment.COMMERCIAL: 0.07}
COMPETITOR_SHARE = 0.25
COMPETITOR_WEIGHTS = {"china_unicom": 5.0, "china_mobile": 4.0, "china_broadnet": 1.0, "other": 0.5}


@dataclass
class Profile:
    sites: list[Site] = field(default_factory=list)
    contact_waves: list[list[Contact]] = field(default_factory=list)  # by org-chart depth
    services: list[ServiceInUse] = field(default_factory=list)
    events: list[MajorEvent] = field(default_factory=list)
    competitors: list[CompetitorInfo] = field(default_factory=list)
    team: list[VirtualTeamMember] = field(default_factory=list)

    def add_contact(self, contact: Contact, depth: int) -> None:
        while len(self.contact_waves) <= depth:
            self.contact_waves.append([])
        self.contact_waves[depth].append(contact)


class ProfileBuilder:
    def __init__(
        self,
        forge: Forge,
        *,
        products: dict[str, Product],
        calendar: spend.Calendar,
        staff: Staff,
        today: dt.date,
    ) -> None:
        self.forge = forge
        self.rng = forge.rng
        self.products = products
        self.calendar = calendar
        self.staff = staff
        self.today = today
        self.profile = Profile()

    def build(self, drafts: Sequence[Draft]) -> Profile:
        for draft in drafts:
            key = draft.account.segment == Segment.KEY
            sites = self._sites(draft, key=key)
            self._contacts(draft, sites, key=key)
            self._services(draft, sites, key=key)
            if self.forge.chance(EVENT_SHARE[Segment.KEY if key else Segment.COMMERCIAL]):
                self._events(draft)
            if key and self.forge.chance(COMPETITOR_SHARE):
                self._competitors(draft)
            if draft.members:
                self._team(draft)
        return self.profile

    # --- sites --------------------------------------------------------------------------

    def _sites(self, draft: Draft, *, key: bool) -> list[Site]:
        account = draft.account
        short = account.short_name or account.name
        kind: str
        if draft.depth == 2:
            kind, name = SiteKind.BRANCH, f"{short}办公场所"
        elif draft.org_kind in ("government", "military"):
            kind, name = SiteKind.HEADQUARTERS, f"{short}机关办公楼"
        else:
            kind, name = SiteKind.HEADQUARTERS, f"{short}{'总部' if draft.depth == 0 else '本部'}"
        sites = [self._site(account, name, kind, draft.place, address=account.address)]
        extra = self.forge.weighted((0, 1, 2), (0.5, 0.35, 0.15)) if key else 0
        kinds = self._extra_site_kinds(draft)
        for kind in self.rng.sample(kinds, k=min(extra, len(kinds))):
            sites.append(self._extra_site(draft, short, kind))
        self.profile.sites.extend(sites)
        return sites

    def _extra_site_kinds(self, draft: Draft) -> list[str]:
        if draft.org_kind == "finance":
            return [SiteKind.BRANCH, SiteKind.DATACENTER]
        if draft.account.industry in ("manufacturing", "mining"):
            return [SiteKind.PLANT, SiteKind.OFFICE, SiteKind.DATACENTER]
        return [SiteKind.OFFICE, SiteKind.DATACENTER, SiteKind.BRANCH]

    def _extra_site(self, draft: Draft, short: str, kind: str) -> Site:
        place = draft.place
        if place.district is not None:  # Beijing: another district
            if kind == SiteKind.DATACENTER:
                wanted = self.forge.pick(DATACENTER_DISTRICTS)
                district = next(d for d in data.DISTRICTS if d.name == wanted)
            else:
                district = self.forge.district()
            place = beijing_place(district)
        area = place.district.short if place.district else place.city
        names: dict[str, str] = {
            SiteKind.DATACENTER: f"{short}数据中心（{area}）",
            SiteKind.PLANT: f"{short}{area}厂区",
            SiteKind.BRANCH: f"{short}{self.forge.pick(place.streets)}网点",
            SiteKind.OFFICE: f"{short}{area}办公区",
        }
        return self._site(
            draft.account, names[kind], kind, place, address=self.forge.address(place)
        )

    def _site(self, account: Account, name: str, kind: str, place: Place, *, address: str) -> Site:
        return Site(
            account=account,
            name=name[:120],
            kind=kind,
            address=address,
            city=place.city,
            telecom_office=place.telecom_office,
        )

    # --- contacts -----------------------------------------------------------------------

    def _contacts(self, draft: Draft, sites: list[Site], *, key: bool) -> None:
        if key:
            count = self.forge.weighted((2, 3, 4, 5, 6), (0.15, 0.25, 0.3, 0.2, 0.1))
        else:
            count = self.forge.weighted((1, 2), (0.6, 0.4))
        roles = ROLE_SETS[count]
        made: dict[str, Contact] = {}
        depth_of: dict[int, int] = {}
        for role in roles:
            boss = self._boss(role, made)
            contact = self._contact(draft, role, sites, boss=boss)
            depth = depth_of[id(boss)] + 1 if boss is not None else 0
            depth_of[id(contact)] = depth
            self.profile.add_contact(contact, depth)
            made.setdefault(role, contact)
        primary = made.get(DecisionRole.TECHNICAL) or made[DecisionRole.DECISION_MAKER]
        primary.is_primary = True

    @staticmethod
    def _boss(role: str, made: dict[str, Contact]) -> Contact | None:
        """Who the contact reports to in the customer's org chart."""
        top = made.get(DecisionRole.DECISION_MAKER)
        if role == DecisionRole.TECHNICAL:
            return made.get(DecisionRole.INFLUENCER) or top
        if role == DecisionRole.USER:
            return made.get(DecisionRole.TECHNICAL) or top
        return top if role != DecisionRole.DECISION_MAKER else None

    def _contact(
        self, draft: Draft, role: str, sites: list[Site], *, boss: Contact | None
    ) -> Contact:
        person = self.forge.person()
        index = ROLE_INDEX[role]
        site = sites[0]
        layer = LAYER_BY_DEPTH[draft.depth]
        if role == DecisionRole.USER and len(sites) > 1:
            site = self.forge.pick(sites[1:])
            layer = ContactLayer.SITE
        contact = Contact(
            account=draft.account,
            name=person.name,
            title=self._title(draft, index),
            department=data.CONTACT_DEPARTMENTS[draft.org_kind][index],
            decision_role=role,
            layer=layer,
            site=site,
            reports_to=boss,
            mobile=self.forge.mobile() if self.forge.chance(0.95) else "",
            phone=self.forge.landline(draft.place) if self.forge.chance(0.6) else "",
            email=self._email(person.given_pinyin, person.surname_pinyin, draft.domain),
            notes=self.forge.pick(data.CONTACT_NOTES) if self.forge.chance(0.15) else "",
        )
        if role == DecisionRole.DECISION_MAKER and self.forge.chance(0.5):
            contact.our_counterpart = draft.account.owner
        if role == DecisionRole.TECHNICAL:
            if self.forge.chance(0.3):
                contact.our_counterpart = draft.account.owner
            if self.forge.chance(0.6):
                duty = self.forge.landline(draft.place)
                contact.counterpart_note = f"{site.telecom_office} 值班电话 {duty}"
        return contact

    def _title(self, draft: Draft, index: int) -> str:
        """A title that fits the organisation: a district bureau has a 局长, a court a 院长."""
        if draft.org_kind == "government" and index <= 1:
            head = government_head(draft.account.name)
            if index == 0:
                return head
            return self.forge.pick((f"副{head}", "办公室主任"))
        return self.forge.pick(data.CONTACT_TITLES[draft.org_kind][index])

    def _email(self, given: str, surname: str, domain: str) -> str:
        if not domain or not self.forge.chance(0.7):
            return ""
        style = self.rng.randrange(3)
        local = (f"{given}.{surname}", f"{surname}{given}", f"{surname}{given[:1]}")[style]
        if self.forge.chance(0.2):
            local += str(self.rng.randint(1, 99))
        return f"{local}@{domain}"

    # --- services in use ----------------------------------------------------------------

    def _services(self, draft: Draft, sites: list[Site], *, key: bool) -> None:
        """Services of the circuit products the account is billed for; their monthly fees
        add up to the product's bill of the last month (or of the month before it stopped)."""
        circuits = [p for p in draft.series if self.products[p].has_circuit]
        circuits.sort(key=lambda p: -max(draft.series[p]))
        if key:
            counts = {p: self._service_count(p, draft.series[p]) for p in circuits}
            while sum(counts.values()) > MAX_SERVICES:
                biggest = max(counts, key=lambda p: counts[p])
                counts[biggest] -= 1
        else:
            wanted = self.forge.weighted((0, 1, 2), (0.2, 0.5, 0.3))
            counts = dict.fromkeys(circuits[:wanted], 1)
        for product, count in counts.items():
            stopped = draft.stop is not None and draft.stop[0] == product
            last = draft.stop[1] - 1 if stopped and draft.stop else spend.MONTHS - 1
            fees = _split(draft.series[product][last], count, self.rng.random)
            for fee in fees:
                service = self._service(draft, product, sites, fee)
                if stopped and draft.stop:
                    month = self.calendar.months[draft.stop[1] - 1]
                    service.status = ServiceStatus.CANCELLED
                    service.cancelled_on = month.replace(day=self.rng.randint(5, 28))
                self.profile.services.append(service)
        total = sum(counts.values())
        if key and 0 < total < MAX_SERVICES and self.forge.chance(0.04):
            self._old_cancelled_service(draft, sites)

    def _service_count(self, product: str, series: list[int]) -> int:
        if product in ("voice_trunk", "mobile_package"):
            return 1
        list_fee = float(self.products[product].list_monthly_fee) or 1000.0
        return max(1, min(3, round(max(series) / 100 / list_fee / 2)))

    def _service(self, draft: Draft, product: str, sites: list[Site], fee_fen: int) -> ServiceInUse:
        site = sites[0] if len(sites) == 1 or self.forge.chance(0.6) else self.forge.pick(sites[1:])
        bandwidths = data.BANDWIDTHS.get(product)
        return ServiceInUse(
            account=draft.account,
            product=self.products[product],
            number=self._number(product, site, draft),
            bandwidth_mbps=Decimal(self.forge.pick(bandwidths)) if bandwidths else None,
            a_end=site.address if product != "mobile_package" else "",
            z_end=self._z_end(product, site, sites, draft),
            site=site,
            activated_on=self._activation_date(),
            monthly_fee=Decimal(fee_fen) / 100,
            sla_level=self._sla(draft),
            status=ServiceStatus.ACTIVE,
        )

    def _number(self, product: str, site: Site, draft: Draft) -> str:
        if product == "mobile_package":
            return self.forge.mobile(telecom=True)
        if product == "voice_trunk":
            return self.forge.unique_landline_number(draft.place)
        code = data.CIRCUIT_CODES.get(product, product[:3].upper())
        return self.forge.unique_number(f"{draft.place.circuit_code}-{code}-", 7)

    def _z_end(self, product: str, site: Site, sites: list[Site], draft: Draft) -> str:
        if product == "mobile_package":
            return ""
        if product == "voice_trunk":
            return f"{site.telecom_office}程控交换机"
        others = [s for s in sites if s is not site]
        if product != "internet_leased_line":
            if others:
                return self.forge.pick(others).address
            if draft.parent is not None:
                return draft.parent.account.address
        if draft.place.district is not None:
            return self.forge.pick(data.EXCHANGES)
        return f"{draft.place.city}电信城域网核心节点"

    def _activation_date(self) -> dt.date:
        """Within the last eight years, before the first billed month (the bills of every
        product run from the start of the window)."""
        first = self.calendar.months[0]
        start = self.today.replace(year=self.today.year - 8)
        return start + dt.timedelta(days=self.rng.randrange((first - start).days))

    def _sla(self, draft: Draft) -> str:
        band = draft.grade_band
        if band.segment != Segment.KEY:
            return SlaLevel.BRONZE
        if band.stars >= 4:
            return SlaLevel.GOLD
        if band.stars >= 2:
            return SlaLevel.GOLD if self.forge.chance(0.15) else SlaLevel.SILVER
        return SlaLevel.SILVER if self.forge.chance(0.25) else SlaLevel.BRONZE

    def _old_cancelled_service(self, draft: Draft, sites: list[Site]) -> None:
        """A legacy line given up before the billing window (DDN, frame relay)."""
        product = self.forge.pick(("ddn", "frame_relay"))
        fee = int(self.products[product].list_monthly_fee * 100 * Decimal("0.8"))
        service = self._service(draft, product, sites, fee)
        first = self.calendar.months[0]
        service.activated_on = first.replace(year=first.year - 6)
        service.cancelled_on = first - dt.timedelta(days=self.rng.randint(30, 700))
        service.status = ServiceStatus.CANCELLED
        self.profile.services.append(service)

    # --- events, competitors, teams -----------------------------------------------------

    def _events(self, draft: Draft) -> None:
        for _ in range(2 if self.forge.chance(0.2) else 1):
            kind, _w, title, description = self.forge.weighted(
                data.EVENTS, [e[1] for e in data.EVENTS]
            )
            # Plans (relocation, new branch, tender) may lie ahead; the rest has happened.
            ahead = 90 if kind in ("relocation", "new_branch", "tender") else -1
            occurred = self.today + dt.timedelta(days=self.rng.randint(-540, ahead))
            district = self.forge.district()
            values = {
                "district": district.name,
                "street": self.forge.pick(district.streets),
                "date": f"{occurred.year}年{occurred.month}月",
                "office": draft.place.telecom_office,
                "other": self.forge.brand()[0] + "集团",
                "title": self._title(draft, 0),
                "name": self.forge.person().name,
                "year": occurred.year + (1 if occurred.month >= 10 else 0),
            }
            self.profile.events.append(
                MajorEvent(
                    account=draft.account,
                    kind=kind,
                    occurred_on=occurred,
                    title=title.format(**values)[:120],
                    description=description.format(**values),
                    created_by=draft.account.owner,
                )
            )

    def _competitors(self, draft: Draft) -> None:
        names = list(COMPETITOR_WEIGHTS)
        chosen = (
            self.rng.sample(names, k=2)
            if self.forge.chance(0.2)
            else [self.forge.weighted(names, list(COMPETITOR_WEIGHTS.values()))]
        )
        for competitor in chosen:
            service = self.forge.pick(data.COMPETITOR_SERVICES[competitor])
            price = self.rng.randint(8, 400) * 100
            self.profile.competitors.append(
                CompetitorInfo(
                    account=draft.account,
                    competitor=competitor,
                    other_name=self.forge.pick(data.OTHER_OPERATORS)
                    if competitor == "other"
                    else "",
                    services=service.format(n=self.rng.randint(2, 60) * 10),
                    monthly_price=Decimal(price),
                    contract_end=self.today + dt.timedelta(days=self.rng.randint(-60, 720)),
                    notes=self.forge.pick(data.COMPETITOR_NOTES).format(
                        pct=self.rng.randint(5, 25)
                    ),
                )
            )

    def _team(self, hq: Draft) -> None:
        """The virtual team on a group HQ: the members' AMs besides the national AM (the HQ's
        owner, first responsible), and the group's pre-sales engineer as support."""
        national = hq.account.owner
        seen = {national.pk}
        for member in hq.members:
            owner = member.account.owner
            if owner.pk in seen:
                continue
            seen.add(owner.pk)
            role = TeamRole.PROVINCIAL if member.depth == 1 else TeamRole.BRANCH
            self.profile.team.append(VirtualTeamMember(account=hq.account, user=owner, role=role))
        presales = self.staff.presales.get(hq.group_code)
        if presales is not None and presales.pk not in seen:
            self.profile.team.append(
                VirtualTeamMember(account=hq.account, user=presales, role=TeamRole.SUPPORT)
            )


def _split(total: int, parts: int, draw: Callable[[], float]) -> list[int]:
    """`total` fen split into `parts` uneven positive shares that add up exactly."""
    if parts <= 1:
        return [total]
    weights = [0.5 + draw() for _ in range(parts)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights[:-1]]
    return [*shares, total - sum(shares)]


def government_head(name: str) -> str:
    return next(title for suffix, title in data.GOVERNMENT_HEADS if name.endswith(suffix))
