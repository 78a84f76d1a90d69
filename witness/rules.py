"""The rule catalogue (DESIGN §6): severity, legal basis and titles for every rule id.

Detectors look rules up here so that an alert's severity and legal basis have one source.
Titles never name a bidder or a price, so a sealed alert can show its title before opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["red", "orange", "yellow"]
SEVERITY_ORDER: dict[str, int] = {"red": 0, "orange": 1, "yellow": 2}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    legal_basis: str
    title_zh: str
    title_en: str

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh


_L = "招标投标法实施条例"
#: 政府采购货物和服务招标投标管理办法: the committee must correct arithmetic and scoring errors.
_MOF87 = "财政部令第87号 第六十四条"
CATALOGUE: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule(
            "REL-34",
            "red",
            f"{_L} 第三十四条",
            "投标人之间存在控制、管理关系或同一负责人",
            "Bidders share a legal representative or one controls the other",
        ),
        Rule(
            "REL-40-1",
            "red",
            f"{_L} 第四十条（一）",
            "投标文件由同一单位或个人编制（机器码/文件创建标识/加密锁相同）",
            "Bid files prepared by the same unit (same machine code, file id or dongle)",
        ),
        Rule(
            "REL-40-2",
            "red",
            f"{_L} 第四十条（二）",
            "投标事宜由同一人办理（联系人/上传设备相同）",
            "Bids handled by the same person (same contact or upload device)",
        ),
        Rule(
            "REL-40-2-IP",
            "orange",
            f"{_L} 第四十条（二）",
            "投标文件自同一IP地址上传",
            "Bids uploaded from the same IP address",
        ),
        Rule(
            "REL-40-3",
            "red",
            f"{_L} 第四十条（三）",
            "不同投标人的项目负责人为同一人",
            "Bidders name the same project manager",
        ),
        Rule(
            "REL-40-6",
            "red",
            f"{_L} 第四十条（六）",
            "投标保证金从同一账户转出",
            "Bid bonds paid from the same account",
        ),
        Rule(
            "REL-RING",
            "orange",
            f"{_L} 第三十九条（间接）",
            "投标人团伙长期陪标、轮流中标",
            "A bidder group keeps bidding together while the win rotates",
        ),
        Rule(
            "DOC-40-4",
            "orange",
            f"{_L} 第四十条（四）",
            "投标文件异常一致",
            "Bid documents abnormally alike",
        ),
        Rule(
            "DOC-40-5",
            "red",
            f"{_L} 第四十条（五）",
            "投标文件相互混装",
            "One bidder's name or credit code inside another's documents",
        ),
        Rule(
            "DOC-META",
            "orange",
            f"{_L} 第四十条（一）",
            "投标文件元数据（作者/修订标识）相同",
            "Bid documents share author or revision metadata",
        ),
        Rule(
            "PRICE-40-4",
            "orange",
            f"{_L} 第四十条（四）",
            "投标报价呈规律性差异或相同",
            "Bid prices in regular differences or identical",
        ),
        Rule(
            "PRICE-SCREEN",
            "orange",
            "串通投标价格筛查（学术文献）",
            "报价分布异常（方差/陪标筛查）",
            "Price distribution screens (variance / cover bidding)",
        ),
        Rule(
            "PRICE-CLOSE",
            "orange",
            "串通投标价格筛查（学术文献；cardinal-rs R024）",
            "第二低报价与最低报价异常接近",
            "Second-lowest bid unusually close to the lowest",
        ),
        Rule(
            "PRICE-DISCOUNT",
            "orange",
            "串通投标价格筛查（学术文献；cardinal-rs R058）",
            "最低报价异常低于其他报价",
            "Lowest bid unusually far below the others",
        ),
        Rule(
            "BID-LOSER",
            "orange",
            f"{_L} 第三十九条（间接）",
            "投标人频繁投标却极少中标（疑似陪标）",
            "Bidder bids often and almost never wins (cover bidding)",
        ),
        Rule(
            "REJ-ALL",
            "orange",
            "否决投标异常（实践；cardinal-rs R035）",
            "除中标人外的投标均被否决",
            "Every bid but the winner's rejected",
        ),
        Rule(
            "REJ-LOW",
            "orange",
            "否决投标异常（实践；cardinal-rs R036）",
            "价格决定中标时最低报价被否决",
            "Lowest bid rejected where price decides",
        ),
        Rule(
            "REJ-RATE",
            "orange",
            "否决投标异常（实践；cardinal-rs R038）",
            "投标人或招标代理的否决投标比例异常高",
            "Unusual share of rejected bids for a bidder or agent",
        ),
        Rule(
            "EXP-AVOID",
            "red",
            "政府采购法实施条例 第九条；评标委员会和评标方法暂行规定",
            "评标专家与投标人存在应回避关系",
            "Expert has a conflict of interest with a bidder",
        ),
        Rule(
            "EXP-COMMITTEE",
            "red",
            "招标投标法 第三十七条",
            "评标委员会组成不合规",
            "Evaluation committee composition is not lawful",
        ),
        Rule(
            "EXP-DEV",
            "orange",
            "评标专家评分偏离（实践）",
            "专家主观评分明显偏离",
            "Expert subjective score deviates from the committee",
        ),
        Rule(
            "EXP-OBJ",
            "orange",
            "评标专家客观分不一致（实践）",
            "专家客观分评分不一致",
            "Experts disagree on an objective item",
        ),
        Rule(
            "EXP-CLIQUE",
            "orange",
            "评标专家评分雷同（实践）",
            "多名专家评分完全一致",
            "Several experts give identical score vectors",
        ),
        Rule(
            "EXP-FAVOR",
            "orange",
            "评标专家倾向性评分（实践）",
            "专家对某投标人明显偏袒",
            "Expert ranks one bidder far above the committee",
        ),
        Rule(
            "EXP-FAST",
            "yellow",
            "评标行为异常（实践）",
            "评标用时过短或连续点击评分",
            "Scoring much faster than planned or click-through",
        ),
        Rule(
            "EXP-FOCUS",
            "yellow",
            "评标行为异常（实践）",
            "专家反复查看同一投标人文件",
            "Expert keeps opening one bidder's file",
        ),
        Rule(
            "PROC-ORDER", "red", "流程自动校验", "交易流程顺序异常", "Lifecycle step out of order"
        ),
        Rule(
            "PROC-LATE",
            "red",
            "招标投标法 第二十八条",
            "截止时间后提交的投标被接收",
            "Bid accepted after the deadline",
        ),
        Rule(
            "PROC-FEW",
            "red",
            f"{_L} 第四十四条",
            "开标时投标人少于3个",
            "Opening with fewer than 3 bidders",
        ),
        Rule(
            "PROC-CAND",
            "orange",
            f"{_L} 第五十三条",
            "推荐中标候选人超过3个",
            "More than 3 ranked candidates",
        ),
        Rule(
            "PROC-SHORT",
            "red",
            "招标投标法 第二十四条",
            "招标文件发出至投标截止不足20日",
            "Fewer than 20 days from tender publication to the bid deadline",
        ),
        Rule(
            "EVAL-TOTAL",
            "red",
            _MOF87,
            "评标报告总分与评分汇总不符",
            "A total in the evaluation report differs from the scores",
        ),
        Rule(
            "EVAL-RANGE",
            "red",
            _MOF87,
            "评分超出该项分值范围",
            "An item score outside its range",
        ),
        Rule(
            "EVAL-ORDER",
            "red",
            _MOF87,
            "评标报告排序与总分不符",
            "Evaluation report ranks not in order of totals",
        ),
        Rule(
            "EVAL-MISSING",
            "orange",
            "评标报告完整性（实践）",
            "专家对投标人存在漏评项",
            "An expert left items of a bidder unscored",
        ),
        Rule(
            "BOQ-SAME",
            "red",
            f"{_L} 第四十条（四）",
            "工程量清单综合单价雷同",
            "Bills of quantities with identical unit prices",
        ),
        Rule(
            "BOQ-RATIO",
            "red",
            f"{_L} 第四十条（四）",
            "工程量清单综合单价呈固定比例或差额",
            "One bill's unit prices a constant ratio or difference of another's",
        ),
        Rule(
            "BOQ-ERROR",
            "orange",
            f"{_L} 第四十条（四）",
            "工程量清单错漏一致（工程量、缺漏项、计量单位）",
            "Bills share the same deviations from the tender bill",
        ),
        Rule(
            "BOQ-MIX",
            "orange",
            f"{_L} 第四十条（四）",
            "综合单价组成（人材机管利构成）雷同",
            "Bills share the same unit-price build-up item by item",
        ),
        Rule(
            "BOQ-LOCK",
            "red",
            f"{_L} 第四十条（一）",
            "计价文件加密锁号或机器码相同",
            "Pricing files share a software lock number or machine code",
        ),
        Rule(
            "BOQ-UNBAL",
            "orange",
            "不平衡报价筛查（实践）",
            "多家投标人在相同清单项上同向不平衡报价",
            "Several bidders unbalanced the same items the same way",
        ),
        Rule(
            "VID-OFFLINE", "yellow", "全程录音录像", "摄像头离线", "Camera offline during a session"
        ),
        Rule(
            "VID-TAMPER",
            "yellow",
            "全程录音录像",
            "画面异常（黑屏/模糊/冻结/遮挡/移位）",
            "Picture black, blurred, frozen, covered or moved",
        ),
        Rule(
            "VID-ABSENT",
            "yellow",
            f"{_L} 第七十一条",
            "评标室人数少于评标委员会人数（擅离职守）",
            "Fewer people in the evaluation room than the roster",
        ),
        Rule(
            "VID-INTRUDER",
            "orange",
            "电子招标投标办法（保密环境）",
            "评标室人数多于评标委员会人数",
            "More people in the evaluation room than the roster",
        ),
        Rule(
            "VID-AFTERHOURS",
            "orange",
            "评标室管理（实践）",
            "非评标时段评标室内有持续活动",
            "Sustained motion in an evaluation room outside a session",
        ),
    ]
}


def rule(rule_id: str) -> Rule:
    """The catalogue entry; a KeyError here is a programming error, not bad input."""
    return CATALOGUE[rule_id]


def localized_title(rule_id: str, stored: str, locale: str) -> str:
    """A stored title in `locale`: swap the catalogue part, keep the detail (wall, records)."""
    r = CATALOGUE.get(rule_id)
    if r is None:
        return stored
    for source in (r.title_zh, r.title_en):
        if stored.startswith(source):
            rest = stored[len(source) :]
            en = locale.startswith("en")
            if en and rest.startswith("："):
                rest = ": " + rest[1:]
            elif not en and rest.startswith(": "):
                rest = "：" + rest[2:]
            return r.title(locale) + rest
    return stored
