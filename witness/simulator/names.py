"""Credible Chinese names: people, companies, places, addresses, phones, e-mails, projects.

Everything is drawn from a seeded `random.Random`; a `Unique` registry keeps values that
must not collide by accident (company names, phones, IPs ...) apart, so every shared
value in the output is a shared value the simulator meant to plant.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Most common surnames, roughly by frequency (weights follow the 2020 census order).
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = [1.0 / (1 + i * 0.08) for i in range(len(SURNAMES))]
GIVEN_CHARS = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌波辉宇鑫浩凯峰晨阳婷颖雪琳欣怡晓光海林梅兰荣新春玉振宏德宁博一子嘉俊亮鹏飞云龙天成"
)
#: Names so common that two honest people carry them (the 王伟 trap).
COMMON_NAMES = ["王伟", "李娜", "张伟", "王芳", "李强", "张敏", "刘洋", "王静"]

# (division code, province, city, district) — real codes of GB/T 2260.
DIVISIONS = [
    ("320102", "江苏省", "南京市", "玄武区"),
    ("320104", "江苏省", "南京市", "秦淮区"),
    ("320105", "江苏省", "南京市", "建邺区"),
    ("320106", "江苏省", "南京市", "鼓楼区"),
    ("320115", "江苏省", "南京市", "江宁区"),
    ("320213", "江苏省", "无锡市", "梁溪区"),
    ("320214", "江苏省", "无锡市", "新吴区"),
    ("320312", "江苏省", "徐州市", "铜山区"),
    ("320412", "江苏省", "常州市", "武进区"),
    ("320505", "江苏省", "苏州市", "虎丘区"),
    ("320506", "江苏省", "苏州市", "吴中区"),
    ("320508", "江苏省", "苏州市", "姑苏区"),
    ("320612", "江苏省", "南通市", "通州区"),
    ("321002", "江苏省", "扬州市", "广陵区"),
    ("321102", "江苏省", "镇江市", "京口区"),
    ("321302", "江苏省", "宿迁市", "宿城区"),
    ("330106", "浙江省", "杭州市", "西湖区"),
    ("340104", "安徽省", "合肥市", "蜀山区"),
    ("310115", "上海市", "上海市", "浦东新区"),
    ("370102", "山东省", "济南市", "历下区"),
]
AREA_CODES = {
    "南京市": "025",
    "无锡市": "0510",
    "徐州市": "0516",
    "常州市": "0519",
    "苏州市": "0512",
    "南通市": "0513",
    "扬州市": "0514",
    "镇江市": "0511",
    "宿迁市": "0527",
    "杭州市": "0571",
    "合肥市": "0551",
    "上海市": "021",
    "济南市": "0531",
}
ROADS = list("中山北京南京人民解放建设和平长江太湖东风文化青年胜利学府科技创业新华健康")
ROAD_SUFFIX = ["路", "大道", "街", "东路", "西路", "南路", "北路"]
BUILDINGS = [
    "国际大厦",
    "科技园",
    "金融中心",
    "商务广场",
    "创业大厦",
    "世纪大厦",
    "汇智中心",
    "产业园",
]

BRAND_CHARS = list("华中宏鑫恒泰盛达兴隆鼎信诚安通顺丰源远瑞祥嘉润博弘海天新宇金辰裕利建明正邦永昌")
INDUSTRIES = {
    "工程": [
        "建设工程",
        "建筑工程",
        "市政工程",
        "建筑安装工程",
        "路桥建设",
        "水利工程",
        "园林绿化工程",
        "装饰工程",
    ],
    "货物": ["医疗器械", "信息技术", "电子科技", "教学设备", "环保设备", "智能科技"],
    "服务": ["物业管理", "工程咨询", "信息科技", "环境服务", "安保服务", "检测技术"],
}
COMPANY_SUFFIX = [
    "有限公司",
    "有限公司",
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
]
SUPPLIER_KINDS = ["建材", "钢结构", "机电设备", "电缆", "混凝土", "门窗幕墙", "消防器材"]

TENDERERS = [
    "{city}第一人民医院",
    "{city}{district}教育局",
    "{city}{district}城市管理局",
    "{city}水务集团有限公司",
    "{city}城市建设投资集团有限公司",
    "{city}{district}人民政府{street}街道办事处",
    "{city}中学",
    "{city}交通运输局",
    "{city}{district}卫生健康委员会",
    "{city}图书馆",
]
PROJECT_PATTERNS = {
    "工程": [
        "{place}门诊综合楼改扩建工程施工",
        "{place}学生宿舍楼新建工程施工总承包",
        "{district}{road}道路提升改造工程",
        "{district}老旧小区改造工程（{lot}标段）",
        "{place}雨污分流管网工程",
        "{district}河道综合整治工程",
    ],
    "货物": [
        "{place}医疗设备采购项目",
        "{place}智慧教室设备采购",
        "{district}智慧城管平台建设（{lot}期）",
        "{place}信息化机房设备采购",
        "{district}环卫车辆采购项目",
    ],
    "服务": [
        "{place}物业管理服务采购",
        "{district}公共区域保洁服务",
        "{place}安保服务项目",
        "{district}全过程工程咨询服务",
        "{place}食堂餐饮服务",
    ],
}
EXPERT_ORGS = [
    "大学",
    "建筑设计研究院",
    "工程质量监督站",
    "交通规划设计院",
    "职业技术学院",
    "工程造价咨询中心",
]
SPECIALTIES = {
    "工程": ["土建", "市政", "给排水", "电气", "工程造价", "暖通"],
    "货物": ["医疗设备", "计算机", "电子信息", "机械", "采购管理"],
    "服务": ["物业管理", "工程管理", "财务", "法律"],
}
LOT_NAMES = ["一", "二", "三", "四"]


class Unique:
    """Draw values that never repeat by chance (the only repeats are planted)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def draw(self, make: Callable[[], str]) -> str:
        for _ in range(10_000):
            value = make()
            if value not in self._used:
                self._used.add(value)
                return value
        raise RuntimeError("value space exhausted")

    def claim(self, value: str) -> None:
        self._used.add(value)


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
    return surname(rng) + given


def division(rng: random.Random, local_share: float = 0.8) -> tuple[str, str, str, str]:
    pool = DIVISIONS[:16] if rng.random() < local_share else DIVISIONS
    return rng.choice(pool)


def address(rng: random.Random, div: tuple[str, str, str, str], building: str | None = None) -> str:
    _, province, city, district = div
    prov = "" if province == city else province
    if building is None:
        building = street_building(rng)
    return f"{prov}{city}{district}{building}{rng.randint(2, 28)}层{rng.randint(1, 20):02d}室"


def street_building(rng: random.Random) -> str:
    road = "".join(rng.sample(ROADS, 2)) + rng.choice(ROAD_SUFFIX)
    return f"{road}{rng.randint(1, 399)}号{rng.choice(BUILDINGS)}"


def landline(rng: random.Random, city: str) -> str:
    code = AREA_CODES.get(city, "025")
    digits = 8 if len(code) == 3 else 7 if code in ("0527",) else 8
    return f"{code}-{rng.randint(5, 8)}{rng.randint(0, 10 ** (digits - 1) - 1):0{digits - 1}d}"


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(
        [
            "133",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "158",
            "159",
            "177",
            "180",
            "181",
            "186",
            "187",
            "188",
            "189",
            "199",
        ]
    )
    return f"{prefix}{rng.randint(0, 99_999_999):08d}"


def handle(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice("abcdefghijkmnpqrstuvwxyz") for _ in range(n))


def email(rng: random.Random, domain: str | None = None) -> str:
    if domain is None:
        domain = rng.choice(["163.com", "126.com", "qq.com", "sina.com", "139.com"])
        user = handle(rng, rng.randint(5, 9)) + str(rng.randint(1, 999))
    else:
        user = rng.choice(["tb", "bid", "zb", "market", "sales", "office"]) + str(
            rng.randint(1, 99)
        )
    return f"{user}@{domain}"


def company_name(rng: random.Random, div: tuple[str, str, str, str], category: str) -> str:
    city = div[2].removesuffix("市")
    brand = "".join(rng.sample(BRAND_CHARS, 2))
    industry = rng.choice(INDUSTRIES[category])
    return f"{city}{brand}{industry}{rng.choice(COMPANY_SUFFIX)}"


def supplier_name(rng: random.Random) -> str:
    div = rng.choice(DIVISIONS)
    brand = "".join(rng.sample(BRAND_CHARS, 2))
    return f"{div[2].removesuffix('市')}{brand}{rng.choice(SUPPLIER_KINDS)}有限公司"
