"""Names of customer organisations by industry: Beijing government offices, bank branches,
securities firms, technology companies, foreign-invested firms, schools and hospitals."""

from __future__ import annotations

from dataclasses import dataclass

from telekam.accounts.models import Industry
from telekam.demo import data
from telekam.demo.forge import Forge, Place, beijing_place, city_place


@dataclass(frozen=True)
class Template:
    """How to name one kind of organisation. Fields: b/bp brand and its pinyin, f/fp foreign
    brand, d/ds/da district (full, short, e-mail abbreviation), st street office, bu bureau,
    po party office, street, n number, unit military unit number."""

    name: str
    short: str
    org_kind: str  # key of data.CONTACT_TITLES
    uscc: str | None  # key of data.USCC_PREFIX; None: no credit code (military)
    domain: str  # e-mail domain; empty: none published
    weight: float = 1.0


@dataclass(frozen=True)
class GroupTemplate:
    """A group customer: headquarters, provincial company ({p}) and branch ({c}) names."""

    industry: str
    hq: str
    provincial: str
    branch: str
    short: str
    org_kind: str
    domain: str


@dataclass(frozen=True)
class OrgIdentity:
    name: str
    short_name: str
    industry: str
    org_kind: str
    credit_code: str | None
    domain: str
    place: Place
    street: str = ""  # the street the name mentions (证券营业部), so the address matches


def _t(
    name: str,
    short: str,
    kind: str = "corporate",
    uscc: str | None = "enterprise",
    domain: str = "{bp}.com",
    weight: float = 1.0,
) -> Template:
    return Template(name, short, kind, uscc, domain, weight)


GOV, MIL, FIN = "government", "military", "finance"
EDU, MED = "education", "healthcare"

INDUSTRIES_BY_GROUP: dict[str, dict[str, float]] = {
    "government": {Industry.GOVERNMENT: 1},
    "finance": {Industry.FINANCE: 1},
    "enterprise": {
        Industry.MANUFACTURING: 30,
        Industry.REAL_ESTATE: 20,
        Industry.RETAIL: 18,
        Industry.TRANSPORT: 14,
        Industry.MINING: 8,
        Industry.HOSPITALITY: 10,
    },
    "hightech": {Industry.IT: 75, Industry.MEDIA: 25},
    "multinational": {Industry.MULTINATIONAL: 1},
    "expansion": {Industry.EDUCATION: 40, Industry.HEALTHCARE: 35, Industry.OTHER: 25},
}

KEY_TEMPLATES: dict[str, tuple[Template, ...]] = {
    Industry.GOVERNMENT: (
        _t("北京市{d}人民政府办公室", "{ds}区政府办", GOV, "organ", "bj{da}.gov.cn"),
        _t("北京市{d}{bu}", "{ds}区{bu}", GOV, "organ", "bj{da}.gov.cn", 9),
        _t("北京市公安局{d}分局", "{ds}公安分局", GOV, "organ", ""),
        _t("国家税务总局北京市{d}税务局", "{ds}税务局", GOV, "organ", ""),
        _t("北京市{d}人民法院", "{ds}法院", GOV, "organ", "bjcourt.gov.cn"),
        _t("北京市{d}人民检察院", "{ds}检察院", GOV, "organ", ""),
        _t("中共北京市{d}委员会{po}", "{ds}区委{po}", GOV, "organ", "bj{da}.gov.cn", 2),
        _t("北京市{d}{st}街道办事处", "{st}街道办", GOV, "organ", "bj{da}.gov.cn", 2),
        _t("北京市{bu}", "市{bu}", GOV, "organ", "beijing.gov.cn"),
        _t("中国人民解放军{unit}部队", "{unit}部队", MIL, None, "", 1.5),
    ),
    Industry.FINANCE: (
        _t(
            "{b}银行股份有限公司北京分行",
            "{b}银行北京分行",
            FIN,
            domain="{bp}bank.com.cn",
            weight=3,
        ),
        _t(
            "{b}银行股份有限公司北京{ds}支行",
            "{b}银行{ds}支行",
            FIN,
            domain="{bp}bank.com.cn",
            weight=3,
        ),
        _t("北京{b}证券股份有限公司", "{b}证券", FIN, domain="{bp}sec.com.cn", weight=2),
        _t(
            "{b}证券股份有限公司北京{street}证券营业部",
            "{b}证券{street}营业部",
            FIN,
            domain="{bp}sec.com.cn",
            weight=2,
        ),
        _t(
            "{b}人寿保险股份有限公司北京分公司",
            "{b}人寿北京分公司",
            FIN,
            domain="{bp}life.com.cn",
            weight=1.5,
        ),
        _t("{b}财产保险股份有限公司北京分公司", "{b}财险北京分公司", FIN, domain="{bp}ins.com.cn"),
        _t("{b}基金管理有限公司", "{b}基金", FIN, domain="{bp}fund.com.cn"),
        _t("北京{b}融资租赁有限公司", "{b}租赁", FIN, domain="{bp}leasing.com", weight=0.7),
        _t("{b}信托有限责任公司", "{b}信托", FIN, domain="{bp}trust.com.cn", weight=0.5),
        _t("{b}期货有限公司", "{b}期货", FIN, domain="{bp}qh.com.cn", weight=0.5),
    ),
    Industry.MANUFACTURING: (
        _t("北京{b}汽车零部件有限公司", "{b}汽配", domain="{bp}auto.com"),
        _t("北京{b}机械制造有限公司", "{b}机械"),
        _t("北京{b}电子设备有限公司", "{b}电子"),
        _t("北京{b}食品有限公司", "{b}食品"),
        _t("{b}建材集团有限公司", "{b}建材", domain="{bp}group.com"),
        _t("北京{b}医药股份有限公司", "{b}医药", domain="{bp}pharm.com"),
    ),
    Industry.MINING: (
        _t("{b}矿业集团有限公司", "{b}矿业", domain="{bp}mining.com"),
        _t("{b}能源投资有限公司", "{b}能源", domain="{bp}energy.com"),
        _t("北京{b}燃气有限公司", "{b}燃气"),
        _t("{b}电力工程有限公司", "{b}电力"),
    ),
    Industry.REAL_ESTATE: (
        _t("北京{b}房地产开发有限公司", "{b}地产"),
        _t("北京{b}物业管理有限公司", "{b}物业"),
        _t("{b}置业（北京）有限公司", "{b}置业"),
        _t("北京{b}建设工程有限公司", "{b}建设"),
    ),
    Industry.RETAIL: (
        _t("北京{b}商贸有限公司", "{b}商贸"),
        _t("北京{b}百货股份有限公司", "{b}百货"),
        _t("北京{b}超市连锁有限公司", "{b}超市"),
        _t("{b}电器（北京）有限公司", "{b}电器"),
    ),
    Industry.TRANSPORT: (
        _t("北京{b}物流有限公司", "{b}物流", domain="{bp}logistics.com"),
        _t("北京{b}国际货运代理有限公司", "{b}货代"),
        _t("北京{b}汽车运输有限公司", "{b}运输"),
        _t("北京{b}快递服务有限公司", "{b}快递", domain="{bp}express.com"),
    ),
    Industry.HOSPITALITY: (
        _t("北京{b}大酒店有限公司", "{b}大酒店", domain="{bp}hotel.com"),
        _t("北京{b}饭店有限公司", "{b}饭店"),
        _t("北京{b}餐饮管理有限公司", "{b}餐饮"),
        _t("北京{b}国际旅行社有限公司", "{b}国旅", domain="{bp}travel.com"),
    ),
    Industry.IT: (
        _t("北京{b}科技有限公司", "{b}科技", domain="{bp}tech.com", weight=2),
        _t("北京{b}信息技术有限公司", "{b}信息", domain="{bp}it.com"),
        _t("北京{b}网络科技有限公司", "{b}网络", domain="{bp}net.com"),
        _t("北京{b}软件股份有限公司", "{b}软件", domain="{bp}soft.com"),
        _t("{b}数据科技（北京）有限公司", "{b}数据", domain="{bp}data.com"),
        _t("北京{b}智能科技有限公司", "{b}智能", domain="{bp}ai.com"),
        _t("北京{b}云计算有限公司", "{b}云", domain="{bp}cloud.com"),
    ),
    Industry.MEDIA: (
        _t("北京{b}文化传媒有限公司", "{b}传媒", domain="{bp}media.com"),
        _t("{b}影视传媒股份有限公司", "{b}影视", domain="{bp}film.com"),
        _t("北京{b}广告有限公司", "{b}广告"),
        _t("北京{b}数字出版有限公司", "{b}出版"),
    ),
    Industry.MULTINATIONAL: (
        _t("{f}（中国）投资有限公司", "{f}中国", domain="{fp}.com.cn", weight=2),
        _t("{f}（北京）商贸有限公司", "{f}商贸", domain="{fp}.com.cn"),
        _t("{f}信息技术（中国）有限公司", "{f}信息技术", domain="{fp}.com.cn"),
        _t("{f}（中国）有限公司北京分公司", "{f}北京", domain="{fp}.com.cn"),
        _t("{f}管理咨询（北京）有限公司", "{f}咨询", domain="{fp}.com.cn"),
        _t("{f}医疗器械（北京）有限公司", "{f}医疗", domain="{fp}.com.cn"),
        _t("{f}汽车技术（北京）有限公司", "{f}汽车", domain="{fp}.com.cn"),
        _t("{f}化工（中国）有限公司", "{f}化工", domain="{fp}.com.cn"),
        _t("{f}物流（北京）有限公司", "{f}物流", domain="{fp}.com.cn"),
        _t("{f}电子（北京）有限公司", "{f}电子", domain="{fp}.com.cn"),
        _t("{f}食品（中国）有限公司", "{f}食品", domain="{fp}.com.cn"),
        _t("{f}软件（北京）有限公司", "{f}软件", domain="{fp}.com.cn"),
    ),
    Industry.EDUCATION: (
        _t("北京{b}学院", "{b}学院", EDU, "institution", "{bp}.edu.cn"),
        _t("北京市第{n}中学", "{n}中", EDU, "institution", "bj{n}zx.edu.cn"),
        _t("北京{b}职业技术学院", "{b}职院", EDU, "institution", "{bp}.edu.cn"),
        _t("北京市{d}{b}小学", "{b}小学", EDU, "institution", ""),
        _t("北京{b}教育科技有限公司", "{b}教育", EDU, domain="{bp}edu.com"),
        _t("北京{b}外国语学校", "{b}外国语", EDU, "private_school", "{bp}school.cn"),
    ),
    Industry.HEALTHCARE: (
        _t("北京{b}医院", "{b}医院", MED, "institution", "{bp}hospital.org.cn", 2),
        _t("北京市{d}中医医院", "{ds}中医院", MED, "institution", ""),
        _t("北京市{d}妇幼保健院", "{ds}妇幼", MED, "institution", ""),
        _t("北京{b}口腔医院有限公司", "{b}口腔", MED, domain="{bp}dental.com"),
        _t("北京{b}医疗管理有限公司", "{b}医疗", MED),
        _t("北京市{d}{st}社区卫生服务中心", "{st}社区卫生", MED, "institution", ""),
    ),
    Industry.OTHER: (
        _t("北京{b}会展服务有限公司", "{b}会展"),
        _t("北京市{b}律师事务所", "{b}律所", uscc="law_firm", domain="{bp}law.com"),
        _t("北京{b}会计师事务所（特殊普通合伙）", "{b}会计所", domain="{bp}cpa.com"),
        _t("北京{b}人力资源服务有限公司", "{b}人力"),
        _t("中国{b}协会", "{b}协会", uscc="association", domain="{bp}.org.cn"),
        _t("北京{b}体育文化发展有限公司", "{b}体育"),
    ),
}

# Small firms in office buildings (commercial customers); other industries use the above.
SMALL_TEMPLATES: dict[str, tuple[Template, ...]] = {
    Industry.GOVERNMENT: (
        _t("北京市公安局{d}分局{st}派出所", "{st}派出所", GOV, "organ", ""),
        _t("北京市{d}{st}街道社区服务中心", "{st}社区服务中心", GOV, "institution", ""),
    ),
    Industry.FINANCE: (
        _t("北京{b}投资咨询有限公司", "{b}投资咨询", FIN),
        _t("北京{b}保险代理有限公司", "{b}保险代理", FIN),
        _t("北京{b}小额贷款有限公司", "{b}小贷", FIN),
    ),
    Industry.MANUFACTURING: (
        _t("北京{b}印刷有限公司", "{b}印刷"),
        _t("北京{b}家具有限公司", "{b}家具"),
        _t("北京{b}服装有限公司", "{b}服装"),
    ),
    Industry.REAL_ESTATE: (
        _t("北京{b}装饰工程有限公司", "{b}装饰"),
        _t("北京{b}房地产经纪有限公司", "{b}房产经纪"),
    ),
    Industry.RETAIL: (
        _t("北京{b}商贸有限公司", "{b}商贸"),
        _t("北京{b}便利店有限公司", "{b}便利店"),
        _t("北京{b}贸易有限公司", "{b}贸易"),
    ),
    Industry.TRANSPORT: (
        _t("北京{b}汽车维修有限公司", "{b}汽修"),
        _t("北京{b}搬家服务有限公司", "{b}搬家"),
    ),
    Industry.HOSPITALITY: (
        _t("北京{b}餐饮有限公司", "{b}餐饮"),
        _t("北京{b}宾馆有限公司", "{b}宾馆"),
    ),
    Industry.IT: (
        _t("北京{b}科技有限公司", "{b}科技", domain="{bp}tech.com", weight=2),
        _t("北京{b}网络技术有限公司", "{b}网络", domain="{bp}net.com"),
        _t("北京{b}软件技术有限公司", "{b}软件", domain="{bp}soft.com"),
    ),
    Industry.MEDIA: (
        _t("北京{b}文化传播有限公司", "{b}文化"),
        _t("北京{b}设计有限公司", "{b}设计"),
    ),
    Industry.EDUCATION: (_t("北京{b}培训学校有限公司", "{b}培训", EDU),),
    Industry.HEALTHCARE: (_t("北京{b}口腔诊所有限公司", "{b}口腔诊所", MED),),
    Industry.OTHER: (
        _t("北京{b}律师事务所", "{b}律所", uscc="law_firm", domain="{bp}law.com"),
        _t("北京{b}咨询有限公司", "{b}咨询"),
        _t("北京{b}美容美发有限公司", "{b}美容"),
    ),
}

# Fallbacks that are (nearly) never exhausted.
FALLBACK: dict[str, Template] = {
    Industry.GOVERNMENT: _t("中国人民解放军{unit}部队", "{unit}部队", MIL, None, ""),
}
GENERIC_FALLBACK = _t("北京{b}{street}贸易有限公司", "{b}贸易")

GROUP_TEMPLATES: dict[str, tuple[GroupTemplate, ...]] = {
    "finance": (
        GroupTemplate(Industry.FINANCE, "{b}银行股份有限公司", "{b}银行股份有限公司{p}分行",
                      "{b}银行股份有限公司{c}分行", "{b}银行", FIN, "{bp}bank.com.cn"),
        GroupTemplate(Industry.FINANCE, "{b}人寿保险股份有限公司", "{b}人寿保险股份有限公司{p}分公司",
                      "{b}人寿保险股份有限公司{c}中心支公司", "{b}人寿", FIN, "{bp}life.com.cn"),
        GroupTemplate(Industry.FINANCE, "{b}证券股份有限公司", "{b}证券股份有限公司{p}分公司",
                      "{b}证券股份有限公司{c}证券营业部", "{b}证券", FIN, "{bp}sec.com.cn"),
    ),
    "enterprise": (
        GroupTemplate(Industry.MANUFACTURING, "中国{b}集团有限公司", "中国{b}集团有限公司{p}分公司",
                      "中国{b}集团有限公司{c}分公司", "{b}集团", "corporate", "{bp}group.com.cn"),
        GroupTemplate(Industry.REAL_ESTATE, "{b}建设集团有限公司", "{b}建设集团有限公司{p}分公司",
                      "{b}建设集团有限公司{c}分公司", "{b}建设", "corporate", "{bp}build.com"),
        GroupTemplate(Industry.TRANSPORT, "{b}物流集团股份有限公司", "{b}物流集团股份有限公司{p}分公司",
                      "{b}物流集团股份有限公司{c}分公司", "{b}物流", "corporate", "{bp}logistics.com"),
        GroupTemplate(Industry.MINING, "{b}能源集团有限公司", "{b}能源集团有限公司{p}分公司",
                      "{b}能源集团有限公司{c}分公司", "{b}能源", "corporate", "{bp}energy.com.cn"),
        GroupTemplate(Industry.RETAIL, "{b}商业连锁集团有限公司", "{b}商业连锁集团有限公司{p}分公司",
                      "{b}商业连锁集团有限公司{c}分公司", "{b}商业", "corporate", "{bp}retail.com"),
    ),
    "hightech": (
        GroupTemplate(Industry.IT, "{b}科技集团股份有限公司", "{b}科技集团股份有限公司{p}分公司",
                      "{b}科技集团股份有限公司{c}分公司", "{b}科技", "corporate", "{bp}tech.com"),
        GroupTemplate(Industry.MEDIA, "{b}传媒集团有限公司", "{b}传媒集团有限公司{p}分公司",
                      "{b}传媒集团有限公司{c}分公司", "{b}传媒", "corporate", "{bp}media.com"),
    ),
    "multinational": (
        GroupTemplate(Industry.MULTINATIONAL, "{f}（中国）投资有限公司",
                      "{f}（中国）投资有限公司{p}分公司", "{f}（中国）投资有限公司{c}分公司",
                      "{f}中国", "corporate", "{fp}.com.cn"),
    ),
    "expansion": (
        GroupTemplate(Industry.HEALTHCARE, "{b}医疗集团有限公司", "{b}医疗集团有限公司{p}分公司",
                      "{b}医疗集团有限公司{c}分公司", "{b}医疗", MED, "{bp}health.com"),
        GroupTemplate(Industry.EDUCATION, "{b}教育科技集团有限公司", "{b}教育科技集团有限公司{p}分公司",
                      "{b}教育科技集团有限公司{c}分公司", "{b}教育", EDU, "{bp}edu.com"),
    ),
}  # fmt: skip


def demo_domain(domain: str) -> str:
    """A look-alike domain under the reserved .example TLD, so demo e-mail addresses and
    websites never point at a real organisation: huaxinbank.com.cn -> huaxinbank.example,
    bjchy.gov.cn -> bjchy.gov.example."""
    if not domain:
        return ""
    stem = domain.removesuffix(".cn")
    for suffix in (".com", ".org"):
        stem = stem.removesuffix(suffix)
    return f"{stem}.example"


def _fields(forge: Forge, district: data.District) -> dict[str, str]:
    brand, brand_pinyin = forge.brand()
    foreign, foreign_latin = forge.foreign_brand()
    return {
        "b": brand,
        "bp": brand_pinyin,
        "f": foreign,
        "fp": foreign_latin,
        "d": district.name,
        "ds": district.short,
        "da": district.abbr,
        "st": forge.pick(district.street_offices),
        "bu": forge.pick(data.GOV_BUREAUS),
        "po": forge.pick(data.PARTY_OFFICES),
        "street": forge.pick(district.streets),
        "n": str(forge.rng.randint(2, 180)),
        "unit": str(forge.rng.randint(61001, 96999)),
    }


def organisation(forge: Forge, *, group_code: str, small: bool) -> OrgIdentity:
    """A Beijing organisation served by `group_code`, unique by name within the run."""
    industries = INDUSTRIES_BY_GROUP[group_code]
    industry = forge.weighted(list(industries), list(industries.values()))
    templates = (SMALL_TEMPLATES.get(industry) if small else None) or KEY_TEMPLATES[industry]
    weights = [t.weight for t in templates]
    for attempt in range(80):
        district = forge.district(uniform=industry == Industry.GOVERNMENT)
        fields = _fields(forge, district)
        if attempt < 60:
            template = forge.weighted(templates, weights)
        else:
            template = FALLBACK.get(industry, GENERIC_FALLBACK)
        name = template.name.format(**fields)
        if name not in forge.used_names:
            forge.used_names.add(name)
            place = beijing_place(district)
            return OrgIdentity(
                name=name,
                short_name=template.short.format(**fields),
                industry=industry,
                org_kind=template.org_kind,
                credit_code=forge.uscc(template.uscc, district.code),
                domain=demo_domain(template.domain.format(**fields)),
                place=place,
                street=fields["street"] if "{street}" in template.name else "",
            )
    raise RuntimeError("demo: ran out of distinct organisation names")


@dataclass(frozen=True)
class GroupNaming:
    """The names of one group customer's headquarters and members."""

    template: GroupTemplate
    fields: dict[str, str]
    district: data.District

    @property
    def hq_name(self) -> str:
        return self.template.hq.format(**self.fields)

    def hq(self, forge: Forge) -> OrgIdentity:
        forge.used_names.add(self.hq_name)
        return self._identity(forge, self.hq_name, self.template.short.format(**self.fields),
                              beijing_place(self.district))  # fmt: skip

    def member(
        self, forge: Forge, province: data.Province, city: data.City, *, provincial: bool
    ) -> OrgIdentity:
        if provincial:
            name = self.template.provincial.format(**self.fields, p=province.short)
        else:
            name = self.template.branch.format(**self.fields, c=city.label)
        forge.used_names.add(name)
        short = self.template.short.format(**self.fields) + name.removeprefix(self.hq_name)
        office = forge.pick(("城区分局", "开发区分局", "高新区营业部"))
        return self._identity(forge, name, short, city_place(province, city, office))

    def _identity(self, forge: Forge, name: str, short: str, place: Place) -> OrgIdentity:
        return OrgIdentity(
            name=name,
            short_name=short,
            industry=self.template.industry,
            org_kind=self.template.org_kind,
            credit_code=forge.uscc("enterprise", place.division),
            domain=demo_domain(self.template.domain.format(**self.fields)),
            place=place,
        )


def group_naming(
    forge: Forge, group_code: str, *, template: GroupTemplate | None = None
) -> GroupNaming:
    """A group customer's naming scheme with a brand no other customer uses."""
    while True:
        chosen = template or forge.pick(GROUP_TEMPLATES[group_code])
        district = forge.district()
        naming = GroupNaming(chosen, _fields(forge, district), district)
        if naming.hq_name not in forge.used_names:
            return naming
