"""Static tables the demo generator draws from: names, places, products, titles.

Everything here is invented or public-domain general knowledge (surname frequencies,
Beijing district names, administrative division and area codes). Company brands are
random pairs of auspicious characters, so any likeness to a real firm is chance.
"""

from __future__ import annotations

from dataclasses import dataclass


def _pairs(text: str) -> dict[str, str]:
    """Parse "华hua 信xin ..." into {"华": "hua", "信": "xin", ...}."""
    return {token[0]: token[1:] for token in text.split()}


# --- people -----------------------------------------------------------------------------

# Common surnames with a rough frequency weight (the top ten carry about half of China).
SURNAMES: dict[str, tuple[str, float]] = {
    s: (p, w)
    for s, p, w in (
        ("王", "wang", 7.2),
        ("李", "li", 7.1),
        ("张", "zhang", 6.8),
        ("刘", "liu", 5.4),
        ("陈", "chen", 4.5),
        ("杨", "yang", 3.1),
        ("赵", "zhao", 2.3),
        ("黄", "huang", 2.2),
        ("周", "zhou", 2.1),
        ("吴", "wu", 2.0),
        ("徐", "xu", 1.7),
        ("孙", "sun", 1.5),
        ("胡", "hu", 1.3),
        ("朱", "zhu", 1.3),
        ("高", "gao", 1.2),
        ("林", "lin", 1.2),
        ("何", "he", 1.2),
        ("郭", "guo", 1.1),
        ("马", "ma", 1.1),
        ("罗", "luo", 0.9),
        ("梁", "liang", 0.9),
        ("宋", "song", 0.8),
        ("郑", "zheng", 0.8),
        ("谢", "xie", 0.7),
        ("韩", "han", 0.7),
        ("唐", "tang", 0.7),
        ("冯", "feng", 0.7),
        ("于", "yu", 0.6),
        ("董", "dong", 0.6),
        ("程", "cheng", 0.5),
        ("曹", "cao", 0.5),
        ("袁", "yuan", 0.5),
        ("邓", "deng", 0.5),
        ("许", "xu", 0.5),
        ("沈", "shen", 0.4),
        ("曾", "zeng", 0.4),
        ("彭", "peng", 0.4),
        ("吕", "lv", 0.4),
        ("苏", "su", 0.4),
        ("卢", "lu", 0.4),
        ("蒋", "jiang", 0.4),
        ("蔡", "cai", 0.4),
        ("贾", "jia", 0.3),
        ("丁", "ding", 0.3),
        ("魏", "wei", 0.3),
        ("薛", "xue", 0.3),
        ("叶", "ye", 0.3),
        ("阎", "yan", 0.3),
        ("潘", "pan", 0.3),
        ("杜", "du", 0.3),
        ("戴", "dai", 0.3),
        ("夏", "xia", 0.3),
        ("钟", "zhong", 0.3),
        ("田", "tian", 0.3),
        ("任", "ren", 0.3),
        ("姜", "jiang", 0.3),
        ("范", "fan", 0.3),
        ("方", "fang", 0.3),
        ("石", "shi", 0.3),
        ("姚", "yao", 0.2),
        ("谭", "tan", 0.2),
        ("邹", "zou", 0.2),
        ("熊", "xiong", 0.2),
        ("金", "jin", 0.2),
        ("陆", "lu", 0.2),
        ("郝", "hao", 0.2),
        ("孔", "kong", 0.2),
        ("白", "bai", 0.2),
        ("崔", "cui", 0.2),
        ("康", "kang", 0.2),
        ("毛", "mao", 0.2),
        ("邱", "qiu", 0.2),
        ("秦", "qin", 0.2),
        ("史", "shi", 0.2),
        ("顾", "gu", 0.2),
        ("侯", "hou", 0.2),
        ("孟", "meng", 0.2),
        ("段", "duan", 0.2),
        ("雷", "lei", 0.2),
        ("钱", "qian", 0.2),
        ("尹", "yin", 0.1),
        ("常", "chang", 0.1),
        ("武", "wu", 0.1),
        ("乔", "qiao", 0.1),
        ("贺", "he", 0.1),
        ("龚", "gong", 0.1),
        ("文", "wen", 0.1),
    )
}

GIVEN_MALE = _pairs(
    "伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 斌bin 超chao 明ming 刚gang 平ping "
    "辉hui 鹏peng 华hua 飞fei 鑫xin 波bo 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 旭xu "
    "宁ning 龙long 建jian 国guo 志zhi 海hai 峰feng 振zhen 东dong 晓xiao 文wen 立li "
    "新xin 博bo 毅yi 亮liang 林lin 庆qing 春chun 永yong 家jia 成cheng 德de 嘉jia 铭ming"
)
GIVEN_FEMALE = _pairs(
    "芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 秀xiu 玲ling 婷ting 雪xue 慧hui "
    "颖ying 琳lin 洁jie 倩qian 红hong 梅mei 蕾lei 佳jia 欣xin 悦yue 晶jing 璐lu 萍ping "
    "燕yan 莉li 琴qin 云yun 晓xiao 文wen 雅ya 思si 瑶yao 丹dan 宁ning 月yue 春chun"
)
# Reduplicated given names that read naturally (婷婷, not 伟伟).
DOUBLED_OK = frozenset("婷丹晶璐莉琳娜佳悦欣")

# China Telecom number segments for the operator's own staff; all segments for customers.
TELECOM_MOBILE_PREFIXES = ("133", "153", "173", "177", "180", "181", "189", "191", "199")
MOBILE_PREFIXES = (
    *("130", "131", "132", "155", "156", "185", "186", "166", "176"),  # China Unicom
    *("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159"),
    *("182", "183", "187", "188", "198", "178"),  # China Mobile
    *TELECOM_MOBILE_PREFIXES,
)

# --- company brands ---------------------------------------------------------------------

BRAND_CHARS = _pairs(
    "华hua 信xin 恒heng 瑞rui 泰tai 达da 盛sheng 通tong 安an 嘉jia 德de 诚cheng 宏hong "
    "远yuan 鑫xin 源yuan 腾teng 博bo 创chuang 金jin 天tian 海hai 中zhong 京jing 新xin "
    "兴xing 隆long 昌chang 明ming 光guang 辉hui 正zheng 和he 顺shun 丰feng 利li 益yi "
    "康kang 永yong 元yuan 锦jin 卓zhuo 越yue 智zhi 联lian 科ke 鼎ding 汇hui 聚ju 宇yu "
    "星xing 辰chen 云yun 峰feng 祥xiang 福fu 万wan 方fang 东dong 晨chen 启qi 航hang "
    "维wei 思si 睿rui 凯kai 誉yu 彩cai 融rong 银yin 宝bao 润run 泽ze 弘hong 豪hao "
    "骏jun 伟wei 佳jia 翔xiang 凌ling 拓tuo 致zhi 合he 立li 新xin 北bei 燕yan"
)

# Invented foreign brands for multinational customers: (Chinese transliteration, Latin).
FOREIGN_BRANDS: tuple[tuple[str, str], ...] = (
    ("博朗特", "Brontec"),
    ("柯德曼", "Kodeman"),
    ("维斯康", "Wiscon"),
    ("霍尔曼", "Holmann"),
    ("诺瓦克", "Novaq"),
    ("贝恩斯", "Baynes"),
    ("卡尔森", "Carlsen"),
    ("米勒菲", "Millerfield"),
    ("道森", "Dawsen"),
    ("斯坦伯格", "Steinberg"),
    ("梅瑞克", "Merrick"),
    ("罗森塔", "Rosenta"),
    ("泰勒森", "Tellson"),
    ("莱茵哈特", "Rheinhart"),
    ("普瑞斯", "Preiss"),
    ("艾德蒙", "Edmont"),
    ("奥克兰德", "Aukland"),
    ("达尔顿", "Dalton"),
    ("菲尔德", "Fielder"),
    ("格兰特", "Grantec"),
    ("哈特维", "Hartway"),
    ("肯辛", "Kensing"),
    ("兰德斯", "Landers"),
    ("马歇尔", "Marschall"),
    ("纽伯恩", "Newburn"),
    ("奥利维", "Oliveo"),
    ("彼得森", "Petersen"),
    ("昆斯", "Quince"),
    ("里德尔", "Riddel"),
    ("索伦森", "Sorensen"),
    ("特纳斯", "Turnas"),
    ("乌尔曼", "Uhlmann"),
    ("温莎特", "Windsat"),
    ("赛尔维", "Selvy"),
    ("阿斯泰", "Astai"),
    ("贝尔格", "Bergo"),
    ("科瑞恩", "Corrien"),
    ("德威特", "Dewitt"),
    ("埃弗伦", "Everen"),
    ("法恩斯", "Farnes"),
    ("吉尔伯", "Gilbur"),
    ("海德伦", "Heydlen"),
    ("伊斯特", "Eastor"),
    ("约克森", "Yorksen"),
    ("卢卡斯", "Lucaso"),
    ("蒙特罗", "Montero"),
    ("尼尔森", "Nilsen"),
    ("欧文斯", "Owenz"),
    ("帕克斯", "Parkes"),
    ("雷诺德", "Reynold"),
    ("施密德", "Schmied"),
    ("托马森", "Thomasen"),
    ("瓦尔登", "Walden"),
    ("泽尼特", "Zenit"),
    ("丸和精机", "Maruwa Seiki"),
    ("东洋光学", "Toyo Kogaku"),
    ("大和电装", "Yamato Denso"),
    ("三协化成", "Sankyo Kasei"),
    ("韩星电子", "Hansung Elec"),
    ("大宇物产", "Daewoo Bussan"),
)


# --- places -----------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    """A district of Beijing: division code, e-mail abbreviation, landline prefixes, streets."""

    name: str  # 朝阳区
    code: str  # 110105
    abbr: str  # chy (bjchy.gov.cn)
    weight: float  # share of businesses
    phone_prefixes: tuple[str, ...]
    streets: tuple[str, ...]
    street_offices: tuple[str, ...]  # 街道

    @property
    def short(self) -> str:
        return self.name.removesuffix("区")

    @property
    def telecom_office(self) -> str:
        return f"{self.short}分局"


DISTRICTS: tuple[District, ...] = (
    District(
        "朝阳区", "110105", "chy", 25, ("65", "64", "84", "85", "59", "87"),
        ("建国路", "建国门外大街", "东三环中路", "朝阳门外大街", "光华路", "工体北路",
         "酒仙桥路", "望京街", "北辰东路", "亮马桥路", "霄云路", "朝阳北路"),
        ("建外", "呼家楼", "三里屯", "望京", "亚运村", "酒仙桥", "麦子店", "朝外"),
    ),
    District(
        "海淀区", "110108", "hd", 22, ("62", "82", "68", "88"),
        ("中关村大街", "海淀大街", "知春路", "学院路", "北四环西路", "苏州街",
         "上地信息路", "上地十街", "复兴路", "西三环北路", "紫竹院路", "丹棱街"),
        ("中关村", "学院路", "北太平庄", "万寿路", "羊坊店", "海淀", "上地"),
    ),
    District(
        "西城区", "110102", "xch", 12, ("66", "68", "83", "88"),
        ("金融大街", "西长安街", "复兴门内大街", "阜成门外大街", "西直门外大街",
         "宣武门外大街", "广安门内大街", "德胜门外大街", "月坛北街", "太平桥大街"),
        ("金融街", "西长安街", "月坛", "展览路", "德胜", "什刹海", "广安门内"),
    ),
    District(
        "东城区", "110101", "dch", 10, ("65", "84", "85", "64"),
        ("东长安街", "王府井大街", "东直门南大街", "朝阳门北大街", "东四十条",
         "建国门内大街", "崇文门外大街", "安定门外大街", "和平里东街"),
        ("东华门", "景山", "和平里", "东直门", "建国门", "交道口", "北新桥"),
    ),
    District(
        "丰台区", "110106", "ft", 8, ("63", "83", "87"),
        ("丰台北路", "南三环西路", "丽泽路", "海鹰路", "马家堡东路", "方庄路", "草桥东路"),
        ("方庄", "右安门", "卢沟桥", "太平桥", "丰台", "马家堡"),
    ),
    District(
        "石景山区", "110107", "sjs", 3, ("68", "88"),
        ("石景山路", "鲁谷路", "古城大街", "八角东街"),
        ("八角", "鲁谷", "古城", "老山"),
    ),
    District(
        "通州区", "110112", "tzh", 5, ("69", "81", "80"),
        ("新华西街", "通胡大街", "运河东大街", "九棵树东路"),
        ("新华", "北苑", "中仓", "玉桥"),
    ),
    District(
        "大兴区", "110115", "dx", 5, ("69", "61", "60", "67"),
        ("兴华大街", "荣华中路", "科创十三街", "黄村西大街"),
        ("兴丰", "林校路", "清源", "亦庄"),
    ),
    District(
        "昌平区", "110114", "chp", 4, ("69", "80", "60"),
        ("回龙观西大街", "府学路", "超前路", "鼓楼南街"),
        ("城北", "城南", "回龙观", "天通苑北"),
    ),
    District(
        "顺义区", "110113", "shy", 4, ("69", "81", "60"),
        ("府前中街", "天竺路", "顺平路", "站前街"),
        ("胜利", "光明", "石园", "空港"),
    ),
    District(
        "房山区", "110111", "fs", 1, ("69", "80", "61"),
        ("拱辰大街", "长虹西路", "西潞大街"),
        ("拱辰", "西潞", "城关"),
    ),
    District(
        "门头沟区", "110109", "mtg", 0.5, ("69", "60"),
        ("新桥大街", "滨河路"),
        ("大峪", "城子"),
    ),
    District(
        "怀柔区", "110116", "hr", 0.5, ("69", "60"),
        ("青春路", "府前街"),
        ("泉河", "龙山"),
    ),
    District(
        "平谷区", "110117", "pg", 0.3, ("69", "60"),
        ("府前街", "林荫北街"),
        ("滨河", "兴谷"),
    ),
    District(
        "密云区", "110118", "my", 0.3, ("69", "61"),
        ("鼓楼东大街", "新南路"),
        ("鼓楼", "果园"),
    ),
    District(
        "延庆区", "110119", "yq", 0.3, ("69", "61"),
        ("妫水北街", "高塔街"),
        ("儒林", "百泉"),
    ),
)  # fmt: skip

BUILDING_SUFFIXES = ("大厦", "国际中心", "中心", "广场", "商务楼", "科技园")

# Exchanges and IDC nodes a circuit's Z end may sit at.
EXCHANGES = (
    "北京电信西单局",
    "北京电信东四局",
    "北京电信望京局",
    "北京电信酒仙桥 IDC",
    "北京电信亦庄 IDC",
    "北京电信永丰 IDC",
    "北京电信万寿路局",
    "北京电信方庄局",
)


@dataclass(frozen=True)
class City:
    label: str  # how branch names use it: 苏州, 上海浦东
    prefix: str  # address prefix: 江苏省苏州市, 上海市浦东新区
    code: str  # administrative division code
    area_code: str  # 0512
    streets: tuple[str, str]


@dataclass(frozen=True)
class Province:
    name: str  # 江苏省
    short: str  # 江苏
    circuit_code: str  # JS
    cities: tuple[City, ...]  # the first is the capital (where the provincial company sits)


PROVINCES: tuple[Province, ...] = (
    Province("上海市", "上海", "SH", (
        City("上海浦东", "上海市浦东新区", "310115", "021", ("世纪大道", "陆家嘴环路")),
        City("上海徐汇", "上海市徐汇区", "310104", "021", ("漕溪北路", "虹桥路")),
        City("上海静安", "上海市静安区", "310106", "021", ("南京西路", "延安中路")),
        City("上海闵行", "上海市闵行区", "310112", "021", ("沪闵路", "莘庄工业区春东路")),
    )),
    Province("广东省", "广东", "GD", (
        City("广州", "广东省广州市天河区", "440106", "020", ("天河路", "花城大道")),
        City("深圳", "广东省深圳市福田区", "440304", "0755", ("深南大道", "福华一路")),
        City("佛山", "广东省佛山市禅城区", "440604", "0757", ("季华五路", "汾江中路")),
        City("东莞", "广东省东莞市", "441900", "0769", ("鸿福路", "东城中路")),
    )),
    Province("江苏省", "江苏", "JS", (
        City("南京", "江苏省南京市鼓楼区", "320106", "025", ("中山北路", "汉中路")),
        City("苏州", "江苏省苏州市虎丘区", "320505", "0512", ("狮山路", "长江路")),
        City("无锡", "江苏省无锡市新吴区", "320214", "0510", ("长江路", "新华路")),
        City("常州", "江苏省常州市新北区", "320411", "0519", ("太湖东路", "通江中路")),
    )),
    Province("浙江省", "浙江", "ZJ", (
        City("杭州", "浙江省杭州市西湖区", "330106", "0571", ("文三路", "天目山路")),
        City("宁波", "浙江省宁波市鄞州区", "330212", "0574", ("天童南路", "四明中路")),
        City("温州", "浙江省温州市鹿城区", "330302", "0577", ("车站大道", "人民中路")),
        City("绍兴", "浙江省绍兴市越城区", "330602", "0575", ("解放北路", "中兴中路")),
    )),
    Province("山东省", "山东", "SD", (
        City("济南", "山东省济南市历下区", "370102", "0531", ("泺源大街", "经十路")),
        City("青岛", "山东省青岛市市南区", "370202", "0532", ("香港中路", "东海西路")),
        City("烟台", "山东省烟台市芝罘区", "370602", "0535", ("南大街", "北马路")),
        City("潍坊", "山东省潍坊市潍城区", "370702", "0536", ("胜利西街", "和平路")),
    )),
    Province("河北省", "河北", "HE", (
        City("石家庄", "河北省石家庄市长安区", "130102", "0311", ("中山东路", "建设北大街")),
        City("唐山", "河北省唐山市路南区", "130202", "0315", ("新华西道", "建设南路")),
        City("保定", "河北省保定市竞秀区", "130602", "0312", ("朝阳北大街", "东风中路")),
        City("廊坊", "河北省廊坊市安次区", "131002", "0316", ("新华路", "永兴路")),
    )),
    Province("四川省", "四川", "SC", (
        City("成都", "四川省成都市锦江区", "510104", "028", ("红星路", "东大街")),
        City("绵阳", "四川省绵阳市涪城区", "510703", "0816", ("临园路", "剑南路")),
        City("德阳", "四川省德阳市旌阳区", "510603", "0838", ("长江西路", "泰山北路")),
        City("宜宾", "四川省宜宾市翠屏区", "511502", "0831", ("人民路", "南岸东路")),
    )),
    Province("湖北省", "湖北", "HB", (
        City("武汉", "湖北省武汉市武昌区", "420106", "027", ("中北路", "友谊大道")),
        City("宜昌", "湖北省宜昌市西陵区", "420502", "0717", ("东山大道", "夷陵大道")),
        City("襄阳", "湖北省襄阳市襄城区", "420602", "0710", ("檀溪路", "胜利街")),
        City("荆州", "湖北省荆州市沙市区", "421002", "0716", ("北京中路", "江津东路")),
    )),
    Province("河南省", "河南", "HA", (
        City("郑州", "河南省郑州市金水区", "410105", "0371", ("金水路", "花园路")),
        City("洛阳", "河南省洛阳市老城区", "410302", "0379", ("中州东路", "九都东路")),
        City("新乡", "河南省新乡市红旗区", "410702", "0373", ("人民东路", "平原路")),
        City("南阳", "河南省南阳市宛城区", "411302", "0377", ("仲景北路", "工业南路")),
    )),
    Province("天津市", "天津", "TJ", (
        City("天津和平", "天津市和平区", "120101", "022", ("南京路", "解放北路")),
        City("天津滨海", "天津市滨海新区", "120116", "022", ("第三大街", "洞庭路")),
        City("天津河西", "天津市河西区", "120103", "022", ("友谊路", "解放南路")),
        City("天津南开", "天津市南开区", "120104", "022", ("鞍山西道", "卫津路")),
    )),
    Province("辽宁省", "辽宁", "LN", (
        City("沈阳", "辽宁省沈阳市和平区", "210102", "024", ("青年大街", "南京北街")),
        City("大连", "辽宁省大连市中山区", "210202", "0411", ("人民路", "港湾街")),
        City("鞍山", "辽宁省鞍山市铁东区", "210302", "0412", ("胜利南路", "五一路")),
        City("锦州", "辽宁省锦州市古塔区", "210702", "0416", ("解放路", "中央大街")),
    )),
    Province("陕西省", "陕西", "SN", (
        City("西安", "陕西省西安市雁塔区", "610113", "029", ("高新路", "小寨东路")),
        City("宝鸡", "陕西省宝鸡市渭滨区", "610302", "0917", ("经二路", "清姜路")),
        City("咸阳", "陕西省咸阳市秦都区", "610402", "029", ("人民西路", "渭阳西路")),
        City("榆林", "陕西省榆林市榆阳区", "610802", "0912", ("长城南路", "航宇路")),
    )),
    Province("福建省", "福建", "FJ", (
        City("福州", "福建省福州市鼓楼区", "350102", "0591", ("五四路", "湖东路")),
        City("厦门", "福建省厦门市思明区", "350203", "0592", ("鹭江道", "湖滨北路")),
        City("泉州", "福建省泉州市鲤城区", "350502", "0595", ("温陵路", "刺桐路")),
        City("漳州", "福建省漳州市芗城区", "350602", "0596", ("胜利西路", "新华北路")),
    )),
)  # fmt: skip

# --- organisations ----------------------------------------------------------------------

# Unified social credit code, first two characters by kind of organisation.
USCC_PREFIX = {
    "organ": "11",  # 机关
    "institution": "12",  # 事业单位
    "law_firm": "31",  # 律师事务所（司法行政登记）
    "association": "51",  # 社会团体
    "private_school": "52",  # 民办非企业单位
    "enterprise": "91",  # 企业（市场监管登记）
}

GOV_BUREAUS = (
    "发展和改革委员会", "教育委员会", "财政局", "人力资源和社会保障局", "卫生健康委员会",
    "市场监督管理局", "住房和城乡建设委员会", "城市管理委员会", "民政局", "司法局", "审计局",
    "统计局", "应急管理局", "文化和旅游局", "农业农村局", "商务局", "政务服务管理局",
    "园林绿化局", "水务局", "科学技术和信息化局", "体育局", "退役军人事务局", "医疗保障局",
)  # fmt: skip
PARTY_OFFICES = ("办公室", "组织部", "宣传部", "政法委员会", "统战部")

# Kinds of organisation, for titles and departments of contacts.
ORG_KINDS = ("government", "military", "finance", "corporate", "education", "healthcare")

# (decision maker, influencer, technical, finance, user) titles; departments likewise.
CONTACT_TITLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "government": (
        ("主任", "局长", "区长助理"), ("副主任", "副局长", "办公室主任"),
        ("信息中心主任", "信息科科长", "网络管理员"), ("财务科科长", "计划财务处处长"),
        ("综合科科员", "机要员", "值班室主任"),
    ),
    "military": (
        ("政治委员", "参谋长"), ("保障处处长", "通信科科长"),
        ("通信站站长", "网络工程师"), ("财务科助理员",), ("值班员", "通信员"),
    ),
    "finance": (
        ("行长", "总经理", "分行行长"), ("副行长", "办公室主任", "运营总监"),
        ("科技部总经理", "信息技术部经理", "网络运维主管"), ("计划财务部总经理", "财务经理"),
        ("网点负责人", "运营主管", "柜员主管"),
    ),
    "corporate": (
        ("总经理", "董事长", "首席信息官"), ("副总经理", "行政总监", "采购经理"),
        ("IT 经理", "网络工程师", "信息部主管"), ("财务总监", "财务经理"),
        ("行政专员", "前台主管", "客服主管"),
    ),
    "education": (
        ("校长", "院长", "党委书记"), ("副校长", "副院长", "后勤处处长"),
        ("网络中心主任", "信息中心主任", "网络管理员"), ("财务处处长", "财务科科长"),
        ("教务处干事", "办公室干事"),
    ),
    "healthcare": (
        ("院长", "党委书记"), ("副院长", "总务科科长"),
        ("信息科科长", "信息中心主任", "网络工程师"), ("财务科科长", "总会计师"),
        ("门诊部主任", "护士长"),
    ),
}  # fmt: skip
CONTACT_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "government": ("领导班子", "办公室", "信息中心", "财务科", "综合科"),
    "military": ("首长", "保障处", "通信站", "财务科", "通信站"),
    "finance": ("行领导", "办公室", "科技部", "计划财务部", "运营管理部"),
    "corporate": ("总经理办公室", "行政部", "信息技术部", "财务部", "行政部"),
    "education": ("校领导", "后勤处", "网络中心", "财务处", "教务处"),
    "healthcare": ("院领导", "总务科", "信息科", "财务科", "门诊部"),
}

# --- products ---------------------------------------------------------------------------

# Which products an industry group's key accounts buy (relative weights).
PRODUCT_MIX: dict[str, dict[str, float]] = {
    "government": {"digital_circuit": 3, "ip_vpn": 3, "voice_usage": 3, "voice_trunk": 2,
                   "internet_leased_line": 2, "mobile_package": 2, "ddn": 1, "cloud": 1, "idc": 0.5},
    "finance": {"digital_circuit": 4, "ip_vpn": 3, "ddn": 2, "voice_usage": 2,
                "internet_leased_line": 2, "idc": 2, "mobile_package": 1, "frame_relay": 0.7,
                "atm": 0.5},
    "enterprise": {"voice_usage": 3, "internet_leased_line": 3, "mobile_package": 3,
                   "digital_circuit": 2, "voice_trunk": 2, "ip_vpn": 1.5, "cloud": 1},
    "hightech": {"internet_leased_line": 4, "idc": 3, "cloud": 3, "ip_vpn": 1.5,
                 "voice_usage": 1.5, "mobile_package": 1.5, "digital_circuit": 1},
    "multinational": {"ip_vpn": 4, "internet_leased_line": 3, "digital_circuit": 2,
                      "voice_usage": 2, "mobile_package": 2, "idc": 1, "atm": 0.3},
    "expansion": {"internet_leased_line": 3, "voice_usage": 3, "voice_trunk": 2,
                  "mobile_package": 2, "ip_vpn": 1.5, "digital_circuit": 1, "cloud": 1},
}  # fmt: skip
COMMERCIAL_PRODUCT_MIX = {
    "voice_usage": 4.0,
    "voice_trunk": 3.0,
    "internet_leased_line": 2.0,
    "mobile_package": 2.0,
}
# Relative size of a product in a customer's bill.
PRODUCT_SIZE = {
    "digital_circuit": 1.6, "ddn": 0.8, "frame_relay": 0.6, "atm": 1.4,
    "internet_leased_line": 1.3, "ip_vpn": 1.2, "voice_trunk": 0.5, "voice_usage": 1.0,
    "mobile_package": 0.7, "idc": 1.8, "cloud": 1.2,
}  # fmt: skip
# How much a product's bill moves: (monthly noise sigma, seasonality strength 0..1).
PRODUCT_VOLATILITY = {
    "voice_usage": (0.07, 1.0),
    "mobile_package": (0.03, 0.6),
    "cloud": (0.05, 0.3),
    "idc": (0.01, 0.0),
}
FIXED_LINE_VOLATILITY = (0.003, 0.0)
# Spring Festival dip in Feb (and late Jan), Golden Week in Oct, year-end peak in Dec.
SEASONALITY = {1: 0.97, 2: 0.86, 3: 0.99, 4: 1.0, 5: 0.99, 6: 1.01,
               7: 0.99, 8: 0.98, 9: 1.01, 10: 0.97, 11: 1.02, 12: 1.04}  # fmt: skip

# Services in use: number prefix and bandwidth choices (Mbps) of circuit products.
CIRCUIT_CODES = {
    "digital_circuit": "DC",
    "ddn": "DDN",
    "frame_relay": "FR",
    "atm": "ATM",
    "internet_leased_line": "IP",
    "ip_vpn": "VPN",
}
BANDWIDTHS: dict[str, tuple[str, ...]] = {
    "digital_circuit": ("2", "2", "2", "10", "155"),
    "ddn": ("2",),
    "frame_relay": ("2",),
    "atm": ("155",),
    "internet_leased_line": ("10", "100", "100", "1000"),
    "ip_vpn": ("2", "10", "100"),
    "voice_trunk": ("2",),
}

# --- competitors and events -------------------------------------------------------------

COMPETITOR_SERVICES: dict[str, tuple[str, ...]] = {
    "china_unicom": ("长途语音 17911", "互联网专线 100M", "数字电路 2M×4", "IP-VPN 10 个节点",
                     "联通集团套餐 {n} 部", "IP 长途 17910"),
    "china_mobile": ("移动集团套餐 {n} 部", "互联网专线 200M", "集团 V 网 {n} 部",
                     "物联网卡 {n} 张", "云专线 100M"),
    "china_broadnet": ("互联网专线 50M", "有线电视专网", "广电 5G 集团套餐 {n} 部"),
    "other": ("有线宽带 100M", "驻地网接入 50M"),
}  # fmt: skip
OTHER_OPERATORS = ("歌华有线", "驻地网运营商")

# The head of a government body by how its name ends (first match wins).
GOVERNMENT_HEADS = (
    ("派出所", "所长"),
    ("法院", "院长"),
    ("检察院", "检察长"),
    ("政法委员会", "书记"),
    ("部", "部长"),
    ("局", "局长"),
    ("", "主任"),
)

# --- prose for notes, events and competitor entries -------------------------------------

STRATEGY_NOTES = (
    "巩固现有专线业务份额，{year}年内争取将竞争对手的互联网专线迁回我方。",
    "客户年度信息化预算约{budget}万元，重点推广天翼云与 IDC 同城灾备。",
    "以总部为突破口做大集团统付，带动下属单位移动集团套餐整体迁入。",
    "客户对网络稳定性要求极高，维系重点是 SLA 达标与故障快速响应。",
    "合同{month}月到期，提前三个月启动续约谈判，适度让利锁定三年期。",
    "新任信息化负责人倾向统一采购，需尽快安排高层拜访。",
)
FINANCIAL_NOTES_CORPORATE = (
    "年营业收入约{revenue}亿元，通信费按月结算，付款及时。",
    "按季度结算，近两年无欠费记录。",
    "集团统一采购、统一付款，分支机构费用由总部划拨。",
    "现金流偏紧，付款周期约 60 天，需关注应收账款。",
)
FINANCIAL_NOTES_PUBLIC = (
    "财政拨款单位，通信费预算每年 3 月下达，下半年付款偏慢。",
    "预算内支出，按年度框架协议结算。",
)
CONTACT_NOTES = (
    "喜欢电话沟通，周三下午例会不便打扰。",
    "负责年度通信服务招标评审。",
    "对网络稳定性要求高，故障时需第一时间通知。",
    "新任，尚需建立关系。",
    "曾在联通工作，对竞品价格熟悉。",
)

# (kind, weight, title, description)
EVENTS: tuple[tuple[str, float, str, str], ...] = (
    ("relocation", 2, "拟搬迁至{district}{street}",
     "客户计划于{date}整体搬迁，涉及数字电路与互联网专线迁改，需提前与{office}协调资源。"),
    ("merger", 1, "与{other}合并重组",
     "重组后通信采购将由新集团统一招标，存在业务流失风险，需尽快对接新集团信息化部门。"),
    ("new_branch", 2, "新设{district}分支机构",
     "新址预计{date}启用，需开通互联网专线 100M 与数字电路 2M 各一条。"),
    ("leadership", 3, "{title}变动：新任{title}{name}",
     "原{title}调任，需尽快安排拜访新任领导，重新梳理决策链。"),
    ("tender", 2, "{year}年度通信服务招标",
     "招标范围：语音专线、互联网专线、移动集团套餐；预计{date}开标，联通、移动均已报名。"),
)  # fmt: skip
COMPETITOR_NOTES = (
    "对方报价较我方低约{pct}%，合同到期前三个月启动续约谈判。",
    "客户对对方服务响应评价一般，有迁回机会。",
    "对方以免费提速为条件争取续约。",
    "",
)
