"""Tender and bid documents in Chinese.

Every bid document is built on the project's tender template (the 投标函 form, the
restated requirements, the section headings): honest bidders copy it verbatim, which
is the trap a document-similarity rule must see through. What follows the template
is each bidder's own text, composed from a phrase bank with its own numbers, staff,
equipment and order, so two honest bids stay far apart once the template is removed,
plus a few sentences copied from one public library (`public_texts.py`) that honest
bidders across all projects share word for word.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from witness.simulator import public_texts

SECTIONS = [
    "施工组织设计",
    "质量保证措施",
    "进度计划及保证措施",
    "安全文明施工措施",
    "项目管理机构",
    "售后服务承诺",
]

# Sentence skeletons. "{a|b|c}" is a wording choice made per document, "{n1}" etc. are
# numbers and names; choices sit every few characters so that two honest bids which
# happen to use the same skeleton still share no long verbatim run.
_BANK: dict[str, list[str]] = {
    "施工组织设计": [
        "{我公司|我单位|本公司|我司}{针对|结合|根据}{proj}{的特点|实际情况|现场条件}，{拟投入|计划投入|安排}{n1}名{管理人员|管理骨干}{和|及}{n2}名{作业人员|施工人员|劳务人员}，{分|划分为}{k}个{作业区|施工区段|工区}{平行推进|同步施工|流水作业}。",
        "{现场|施工现场|本工程}{设|划分}{k}个{施工段|流水段}，{采用|实行}{流水作业法|分段流水|平行交叉作业}{组织施工|安排生产}，{关键线路上的|关键}{工序|作业}{实行|采取}{两班制|两班倒|延时作业}。",
        "{主要|拟投入的主要}{机械设备|施工机械}{包括|有}{eq1}{n3}台{、|，}{eq2}{n4}台，{均为|全部为|都是}{自有设备|公司自有|本单位自有}，{进场前|入场前}{完成|进行}{检修|保养|检测}。",
        "{临时设施|临建设施|生活办公设施}{布置在|设在|集中在}{场地|现场}{dir}侧，{面积约|占地约|建筑面积}{area}{平方米|㎡}，{办公区|办公}{与|和}{生活区|生活}{分开设置|分区布置|隔离设置}。",
        "{施工用水|生产用水}{从|由}{dir}侧{市政管网|供水管网}{接入|引入}，{临时用电|施工用电}{设|配置}{n3}{级配电箱|个分配电箱}，{实行|执行|采用}{三级配电两级保护|TN-S接零保护系统|三相五线制接零保护|“一机一闸一漏一箱”}。",
        "{土方工程|土方开挖}{采用|使用}{eq1}{开挖|作业}{配合|辅以}{人工清底|人工修整}，{弃土|余土}{运至|外运至}{指定消纳场|指定地点|政府指定场所}，{运输车辆|渣土车}{全部密闭|加盖密闭|全封闭运输}。",
        "{测量控制网|平面控制网|测量基准}由{专业|专职}{测量工程师|测量员}{staff}{负责建立|负责布设|建立}，{每|每隔}{k}天{复核一次|复测一次|校核一次}。",
        "{材料进场|进场材料}{实行|执行}{报验制度|验收制度|报验程序}，{mat}{等|等主要}{主要材料|材料}{须|应|必须}{提供|附}{出厂合格证|质量证明文件}{和|及}{检测报告|复试报告}。",
        "{我方|我单位|我公司}{将|拟}{利用|运用|采用}{BIM技术|BIM模型|三维建模}{对|就}{part}{进行|开展}{深化设计|优化设计|碰撞检查}，{提前|预先}{发现|消除}{碰撞|冲突}{问题|点位}{n3}处{以上|左右}。",
        "{雨季|汛期}{施工期间|施工时}{在|于}{基坑|基槽}{周边|四周}{设置|砌筑}{截水沟|排水沟}，{配备|准备}{n4}台{抽水泵|潜水泵|排水泵}{随时排水|及时抽排|应急排水}。",
    ],
    "质量保证措施": [
        "{本工程|本项目}{质量目标|质量等级目标}{为|是}{一次验收合格率100%|一次验收合格|合格}，{争创|力争获得|确保创}{award}。",
        "{建立|成立|组建}{以项目经理为首|由项目经理牵头|项目经理负总责}{、|，}{技术负责人|总工}{staff}{具体负责|分管|主抓}的{质量管理体系|质量保证体系|质量管理网络}。",
        "{严格执行|认真落实|坚持}{“三检制”|自检、互检、交接检制度|三检制度}，{上道工序|前道工序}{未经验收|验收不合格}{不得|严禁}{进入|转入|开始}{下道工序|后续工序}。",
        "{mat}{进场后|到场后}{按批次|分批}{见证取样|取样}{送检|复试}，{检测频率|抽检比例}{不低于|高于}{规范要求的|规范规定的}{pct}%。",
        "{每周|每旬|每月}{召开|组织}{一次|1次}{质量分析会|质量例会|质量讲评会}，{对|针对}{发现的问题|存在问题}{建立台账|登记造册|逐条记录}，{限期|要求}{k}{日内|天内}{整改闭合|整改完毕|完成整改}。",
        "{关键部位|重点部位}{part}{实行|推行|执行}{样板引路制度|样板先行|首件验收制}，{样板|首件}{经监理确认后|验收合格后|经各方确认后}{方可|才能}{大面积施工|全面展开|批量施工}。",
        "{质量奖罚|质量考核}{与|同}{班组工资|班组收入|劳务结算}{挂钩|联动}，{单项奖励|单次奖励}{最高|最多|可达}{money}元。",
        "{我公司|本公司|我单位}{已通过|已取得|通过了}{ISO9001|GB/T19001|ISO 9001:2015|GB/T 19001-2016}{质量管理体系认证|体系认证}，{本项目|本工程}{严格按|按照|依据}{体系文件|程序文件}{运行|执行|管理}。",
    ],
    "进度计划及保证措施": [
        "{计划工期|总工期|本工程工期}{days}{日历天|天}，{较|比}{招标要求|招标文件要求|合同工期}{提前|缩短}{k}天{完成|竣工|交付}。",
        "{进度计划|施工进度计划|总进度计划}{采用|以}{横道图与网络图结合|网络图为主、横道图为辅|双代号网络图|Project软件|单代号网络图}{编制|的方式编制}，{每月|月度}{k}日前{报送|上报|提交}{月度计划|月计划|下月计划}。",
        "{part}{为|是|作为}{关键节点|控制性节点|里程碑节点}，{计划|拟|预计}于{开工后|开工之日起}第{n1}天{完成|完工|验收}。",
        "{如遇|若出现|一旦发生}{进度滞后|工期延误|进度偏差}，{我方|我单位|项目部}{将|立即}{增加|增派|补充}{n2}名{作业人员|施工人员|劳动力}{并|同时}{延长作业时间|加班赶工|组织夜间施工}{追赶进度|抢回工期|确保节点}。",
        "{项目部|本项目}{配备|设置}{专职计划员|计划管理员|进度管理员}{staff}，{每日|每天|逐日}{对照计划|对照进度计划}{检查|核查|跟踪}{完成情况|实际进度|执行情况}。",
        "{材料采购|物资采购}{提前|预先}{k}周{下单|订货|采购}，{mat}{与|和}{供应商|厂家}{签订|订立}{保供协议|供货协议|战略合作协议}。",
        "{节假日期间|节假日|春节等节日期间}{安排|实行}{轮休|轮班}，{确保|保证}{现场|施工现场}{始终|全天}{不少于|保持}{n2}人{作业|在岗|施工}。",
    ],
    "安全文明施工措施": [
        "{安全目标|安全生产目标}{为|是}{杜绝|坚决杜绝}{重伤及以上事故|重大伤亡事故|死亡事故}，{轻伤频率|轻伤率}{控制在|不超过}{pct}‰{以内|以下}。",
        "{项目部|本项目}{设|配备}{专职安全员|专职安全管理人员}{n3}名，{由|以}{staff}{任|担任|为}{安全负责人|安全总监|安全主管}。",
        "{新进场工人|新入场人员|新工人}{必须|须|一律}{接受|参加}{不少于|至少}{n1}学时的{三级安全教育|入场安全教育|安全培训}。",
        "{施工现场|现场}{设置|安装|布设}{n4}处{视频监控点|监控摄像头|监控探头}，{实现|做到}{重点部位|关键区域}{全覆盖|无死角|全天候监控}。",
        "{扬尘治理|扬尘控制|防尘措施}{做到|落实}{“六个百分之百”|六个百分百|各项要求}，{配备|设置}{雾炮机|喷淋设备|降尘设备}{n3}台。",
        "{夜间施工|夜间作业}{提前|须提前}{k}天{向|报}{主管部门|有关部门|环保部门}{申请|报批|备案}，{昼间|白天}{噪声|施工噪声|场界噪声}{控制在|不超过|低于}{n4}{0|5}分贝{以内|以下|左右}。",
        "{高处作业人员|高空作业人员}{必须|须|应}{系挂|佩戴|正确使用}{安全带|安全绳}，{临边洞口|临边}{设置|搭设}{防护栏杆|防护栏}，{高度|栏杆高度}{不低于|不小于}{hgt}米。",
        "{每月|每季度|定期}{组织|开展}{一次|1次}{应急演练|应急预案演练|事故演练}，{应急物资|救援物资}{存放于|储备在|放置在}{场地|现场}{dir}侧{仓库|库房|物资间}。",
    ],
    "项目管理机构": [
        "{项目经理|本项目项目经理}{由|拟由}{pm}{担任|出任}，{具有|拥有|有}{years}年{以上|多}{类似项目|同类工程}{管理经验|施工管理经历}。",
        "{技术负责人|项目总工}{staff}，{高级工程师|工程师|正高级工程师}，{曾主持|主持过|先后负责}{n3}项{同类工程|类似项目|同类项目}。",
        "{项目部|项目经理部}{下设|设置|设}{depts}{k}个{部门|职能部门|科室}。",
        "{主要管理人员|项目管理人员|管理团队}{均为|全部为|都是}{我公司|本单位|公司}{正式员工|在册职工|在职人员}，{已缴纳|连续缴纳}{社会保险|社保}{满|超过}{years}年。",
        "{项目部驻地|项目驻地|项目部}{距|离}{项目现场|施工现场|现场}{约|大约}{km}公里，{可在|能在|保证}{k}小时内{到场|抵达现场|到达}{处理问题|处置|解决问题}。",
    ],
    "售后服务承诺": [
        "{保修期内|质保期内}{接到通知后|接到报修后|收到通知}{k}小时内{响应|作出响应|回复}，{n1}小时内{到达现场|到场|抵达}。",
        "{在|于}{city}{设有|设立|建有}{常驻服务机构|办事处|售后服务站}，{配备|安排}{n2}名{专职维保人员|售后工程师|维修人员}。",
        "{保修期满后|质保期结束后|保修期外}{继续|仍}{提供|给予}{技术支持|技术服务|维护服务}，{仅收取|只收取|按}{材料成本费用|成本价|材料费}。",
        "{每季度|每半年|定期}{回访一次|回访|组织回访}，{形成|填写|建立}{回访记录|回访档案|服务记录}{报|送}{建设单位|业主|使用单位}{备案|存档|确认}。",
        "{对|为}{使用单位人员|业主管理人员|用户}{免费培训|免费提供培训}{n1}学时，{培训合格后|考核合格后|结业时}{颁发|发放}{证书|培训证明|合格证}。",
    ],
}
_CHOICE = __import__("re").compile(r"\{([^{}]*\|[^{}]*)\}")


# Everyday words each writer picks differently; applied per occurrence after the
# choices above, so wording varies every few characters as it does between authors.
_SYNONYMS: dict[str, list[str]] = {
    "施工": ["施工", "作业", "建设", "施作"],
    "现场": ["现场", "工地", "场区", "作业面"],
    "设置": ["设置", "布置", "配置", "设立"],
    "人员": ["人员", "员工", "工人", "人手"],
    "确保": ["确保", "保证", "保障", "务必"],
    "进行": ["进行", "开展", "实施", "组织"],
    "负责": ["负责", "主管", "牵头", "分管"],
    "检查": ["检查", "巡查", "核查", "排查"],
    "及时": ["及时", "迅速", "第一时间", "尽快"],
    "严格": ["严格", "认真", "切实", "从严"],
    "要求": ["要求", "规定", "标准", "规范要求"],
    "完成": ["完成", "完工", "做完", "落实"],
    "配备": ["配备", "配置", "安排", "落实"],
    "管理": ["管理", "管控", "管", "统筹"],
    "实行": ["实行", "执行", "推行", "落实"],
    "采用": ["采用", "使用", "选用", "运用"],
    "组织": ["组织", "安排", "部署", "调度"],
    "不少于": ["不少于", "至少", "不低于", "最少"],
    "提前": ["提前", "预先", "事先", "提早"],
    "每月": ["每月", "每个月", "按月", "逐月"],
    "全部": ["全部", "一律", "全都", "均"],
    "主要": ["主要", "重点", "核心", "关键"],
    "措施": ["措施", "办法", "手段", "举措"],
    "问题": ["问题", "隐患", "缺陷", "情况"],
    "计划": ["计划", "安排", "规划", "预案"],
}
_WORDS = __import__("re").compile("|".join(sorted(_SYNONYMS, key=len, reverse=True)))


def _choose(rng: random.Random, skeleton: str) -> str:
    """Resolve every {a|b|c} wording choice, then vary everyday words (slots stay for str.format)."""
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), skeleton)
    return _WORDS.sub(lambda m: rng.choice(_SYNONYMS[m.group(0)]), text)


_EQUIPMENT = [
    "挖掘机",
    "装载机",
    "塔式起重机",
    "汽车吊",
    "混凝土泵车",
    "压路机",
    "钢筋加工机",
    "发电机组",
]
_MATERIALS = ["钢筋", "商品混凝土", "水泥", "防水卷材", "电线电缆", "管材", "砌块"]
_PARTS = ["主体结构", "地下室底板", "屋面防水", "机电安装", "幕墙工程", "管网接驳"]
_AWARDS = ["省优质工程“扬子杯”", "市优质结构工程", "省文明工地", "市标准化示范工地"]
_DIRS = ["东", "南", "西", "北", "东北", "西南"]

#: Distinctive mistakes copied along with a copied bid (DOC-40-4's "shared rare errors").
RARE_ERRORS = [
    "施工组织设汁",
    "质量保正体系",
    "混泥土浇注",
    "安全文明施土",
    "进度计化",
    "脚手架搭接长度不小于1.5cm",
    "钢筋保护屋厚度",
    "三级配电一级保护",
    "项目经里",
    "应急演炼",
    "防水卷才",
    "竣工验收合各",
]


@dataclass
class Doc:
    doc_id: str
    owner: str
    kind: str
    text: str
    metadata: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "owner": self.owner,
            "kind": self.kind,
            "text": self.text,
            "metadata": self.metadata,
            "sha256": sha256(self.text.encode("utf-8")).hexdigest(),
        }


def tender_template(project: dict[str, Any]) -> str:
    """The tender document: requirements and the forms every bidder must fill in."""
    p = project
    lines = [
        f"{p['name']}招标文件",
        f"招标编号：{p['pid']}",
        f"招标人：{p['tenderer']}",
        "第一章 招标公告",
        f"本招标项目{p['name']}已由相关部门批准建设，招标人为{p['tenderer']}，项目已具备招标条件，现对该项目进行公开招标。",
        f"最高投标限价为人民币{p['ceiling']:,.2f}元，投标报价超过最高投标限价的按否决投标处理。",
        f"投标截止时间为{p['deadline_text']}，逾期送达的投标文件，招标人不予受理。",
        "第二章 投标人须知",
        "投标人应具备独立法人资格，具有相应资质等级，近三年内无重大违法记录。",
        "投标人应按照招标文件要求编制投标文件，投标文件应对招标文件提出的实质性要求和条件作出响应。",
        "单位负责人为同一人或者存在控股、管理关系的不同单位，不得参加同一标段投标。",
        "第三章 评标办法（综合评估法）",
        "评分由报价、资信和技术三部分组成，其中报价40分，资格5分，类似业绩10分，技术部分45分。",
        "评标基准价为有效投标报价中的最低价，报价得分=评标基准价÷投标报价×40。",
        "第四章 技术标准和要求",
        "施工应符合现行国家标准《建筑工程施工质量验收统一标准》GB50300的规定。",
        "投标人应针对本项目编制施工组织设计，内容包括但不限于以下章节：",
    ]
    lines += [f"{i + 1}．{s}" for i, s in enumerate(SECTIONS)]
    lines += [
        "第五章 投标文件格式",
        "一、投标函",
        f"致：{p['tenderer']}",
        f"根据贵方{p['name']}招标文件（招标编号：{p['pid']}），我方经考察现场并研究招标文件的全部内容后，愿以上述报价承担本项目的全部工作。",
        "我方承诺在招标文件规定的投标有效期内不修改、撤销投标文件。",
        "我方同意按招标文件规定提交投标保证金，如有违约，保证金不予退还。",
        "投标人（盖章）：",
        "统一社会信用代码：",
        "法定代表人：",
        "地址：",
        "电话：",
        "二、法定代表人身份证明",
        "三、授权委托书",
        "四、投标保证金",
        "五、已标价工程量清单",
        "六、施工组织设计",
        "七、项目管理机构",
        "八、资格审查资料",
    ]
    return "\n".join(lines)


def _fill(rng: random.Random, skeleton: str, company: Any, project: dict[str, Any], pm: str) -> str:
    return _choose(rng, skeleton).format(
        proj=project["short"],
        n1=rng.randint(4, 40),
        n2=rng.randint(20, 180),
        n3=rng.randint(2, 12),
        n4=rng.randint(2, 16),
        k=rng.randint(2, 30),
        eq1=rng.choice(_EQUIPMENT),
        eq2=rng.choice(_EQUIPMENT),
        dir=rng.choice(_DIRS),
        area=rng.randint(200, 2400),
        staff=rng.choice(company.staff),
        mat=rng.choice(_MATERIALS),
        part=rng.choice(_PARTS),
        award=rng.choice(_AWARDS),
        pct=rng.choice([1, 2, 3, 5, 10, 20, 30]),
        money=rng.choice([500, 1000, 2000, 5000]),
        days=rng.randint(90, 540),
        hgt=rng.choice(["1.2", "1.5", "1.8"]),
        pm=pm,
        years=rng.randint(3, 20),
        km=rng.randint(1, 60),
        depts="、".join(
            rng.sample(
                ["工程", "技术", "质量", "安全", "物资", "综合", "经营", "财务", "机电", "测量"],
                rng.randint(4, 7),
            )
        ),
        city=company.division[2],
    )


def _refs(rng: random.Random, sentence: str) -> str:
    """Cross-references to the bid's own tables and drawings, as real bids are full of."""
    parts = sentence.split("，")
    for i in range(len(parts) - 1):
        if rng.random() < 0.75:
            parts[i] += rng.choice(
                ["（见附表{}）", "（详见第{}页）", "（附图{}）", "（见第{}条）", "（表{}）"]
            ).format(rng.randint(1, 240))
    return "，".join(parts)


def own_content(rng: random.Random, company: Any, project: dict[str, Any], pm: str) -> str:
    """The bidder's own technical text: its choice, order and numbers."""
    out = []
    sections = list(SECTIONS)
    for i, section in enumerate(sections):
        bank = _BANK[section]
        chosen = rng.sample(bank, rng.randint(2, min(3, len(bank))))
        out.append(f"{i + 1}．{section}")  # the tender's own heading: template text
        lines = [_refs(rng, _fill(rng, s, company, project, pm)) for s in chosen]
        # public boilerplate copied word for word (its own seed: other draws unchanged)
        for n, sentence in enumerate(
            public_texts.copied_sentences(company.id, project["pid"], section)
        ):
            lines.insert((n * 2 + len(company.id)) % (len(lines) + 1), sentence)
        out.extend(lines)
        out.append(
            f"{rng.choice(['本章', '以上', '上述', '本节'])}{rng.choice(['措施', '内容', '方案'])}"
            f"{rng.choice(['由', '经'])}{rng.choice(['我方', '本单位', '我司', '公司'])}{rng.choice(['工程管理部', '技术质量部', '项目部', '总工办', '技术中心', '经营部'])}"
            f"{rng.choice(['于', '在'])}{rng.randint(1, 12)}月{rng.randint(1, 28)}日{rng.choice(['编制', '编写', '审定'])}，"
            f"{rng.choice(['编号', '文号', '版本号'])}{company.id[-6:]}-{rng.randint(100, 999)}。"
        )
    return "\n".join(out)


def bid_letter(company: Any, project: dict[str, Any], price: float, pm: str) -> str:
    """The filled 投标函 (template form + this bidder's name, price and promises)."""
    return "\n".join(
        [
            "投标函",
            f"致：{project['tenderer']}",
            f"根据贵方{project['name']}招标文件（招标编号：{project['pid']}），我方经考察现场并研究招标文件的全部内容后，愿以上述报价承担本项目的全部工作。",
            f"投标总报价：人民币{price:,.2f}元。",
            f"项目经理：{pm}。",
            "我方承诺在招标文件规定的投标有效期内不修改、撤销投标文件。",
            "我方同意按招标文件规定提交投标保证金，如有违约，保证金不予退还。",
            f"投标人（盖章）：{company.name}{company.phone[-4:]}",
            f"统一社会信用代码：{company.id}",
            f"法定代表人：{company.legal_rep['name']}",
            f"地址：{company.address}  电话：{company.phone}",
        ]
    )


def commercial_text(
    rng: random.Random,
    company: Any,
    project: dict[str, Any],
    price: float,
    pm: str,
    suppliers: list[str],
) -> str:
    rep = company.legal_rep
    lines = [
        bid_letter(company, project, price, pm),
        "法定代表人身份证明",
        _choose(
            rng,
            f"{company.name}，{rep['id_no'][-4:]}，{rep['name']}{{系|为|是}}{{我单位|本单位|我公司}}{{法定代表人|法人代表}}。",
        ),
        _choose(rng, "{主要材料供应商|拟选用的材料供应商|主要供货单位}：")
        + "、".join(suppliers)
        + f"（共{len(suppliers) + rng.randint(0, 9)}家）。",
        _choose(
            rng,
            f"{{近三年|2023年以来|最近三年}}{{完成|承接|承建}}{{类似项目|同类项目|类似工程}}"
            f"{company.performance}{{项|个}}，{{合同金额合计|合同总额|累计合同额}}"
            f"{rng.randint(800, 90000)}万元。",
        ),
    ]
    return "\n".join(lines)


def metadata(
    rng: random.Random,
    company: Any,
    created: str,
    modified: str,
    *,
    author: str | None = None,
    rsid_root: str | None = None,
    xmp_id: str | None = None,
) -> dict[str, Any]:
    """Office document properties as a parser of the uploaded .docx would report them."""
    creator, producer = company.creator
    return {
        "author": author or company.staff[1],
        "last_modified_by": author or company.staff[2],
        "creator": creator,
        "producer": producer,
        "created": created,
        "modified": modified,
        "rsid_root": rsid_root or "".join(rng.choice("0123456789ABCDEF") for _ in range(8)),
        "xmp_document_id": xmp_id
        or "xmp.did:" + "".join(rng.choice("0123456789abcdef") for _ in range(32)),
    }


def copy_with_edits(rng: random.Random, source: str, old_name: str, new_name: str) -> str:
    """A copied own-content: names swapped, a few words changed, the source's rare mistakes kept."""
    lines = source.replace(old_name, new_name).split("\n")
    for _ in range(max(1, len(lines) // 12)):
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace("我方", "我单位", 1)
    return "\n".join(lines)


def with_errors(text: str, errors: list[str]) -> str:
    """The preparer's slips, each written into one of its own sentences (so the context
    is its own, as real slips are), which a copier then carries over."""
    lines = text.split("\n")
    own = [i for i, line in enumerate(lines) if len(line) > 30 and "．" not in line[:3]]
    rng = random.Random("slips:" + "|".join(errors) + f":{len(text)}")
    for e, i in zip(errors, rng.sample(own, min(len(own), len(errors))), strict=False):
        cut = rng.randrange(8, len(lines[i]) - 8)
        lines[i] = lines[i][:cut] + e + lines[i][cut:]
    return "\n".join(lines)
