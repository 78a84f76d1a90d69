"""One public library of method-statement sentences that honest bidders all copy from.

Real technical bids are full of sentences lifted from the same public sources (national
standards, textbooks, model method statements passed around online). Two honest bidders
of one project often share several of them word for word, and nobody else in the project
need have them: a rarity judged only inside the project calls that collusion. So every
simulated bidder copies a few of these sentences into each section of its own text.

A part of the library (`LISTED`) is also in the shipped stock-phrase file a centre keeps
(witness/data/stock_phrases.txt); the rest the detectors must learn from the corpus.
The choice of sentences uses its own seed per bidder and project, so adding the library
changed none of the simulator's other random draws.
"""

from __future__ import annotations

import random

#: Sentences of the shipped stock-phrase file (a centre's list knows these).
LISTED: dict[str, list[str]] = {
    "施工组织设计": [
        "根据工程特点，合理划分施工段，组织流水施工",
        "施工过程中加强与建设单位、设计单位、监理单位的沟通与协调",
    ],
    "质量保证措施": [
        "严格执行自检、互检、交接检的“三检”制度",
        "隐蔽工程在隐蔽前应通知监理工程师进行验收，并形成验收文件",
    ],
    "安全文明施工措施": [
        "进入施工现场的人员必须正确佩戴安全帽",
        "高处作业人员必须系好安全带，安全带应高挂低用",
    ],
}

#: Public sentences no list names: the corpus has to learn that everybody uses them.
UNLISTED: dict[str, list[str]] = {
    "施工组织设计": [
        "施工准备工作是保证工程顺利开工和施工中各项工作正常进行的前提",
        "施工总平面布置应本着紧凑合理、节约用地、方便施工的原则进行",
        "大型机械设备进场前应对行走路线和停放位置进行勘察和加固",
        "测量放线前应对建设单位提供的控制点进行复核，确认无误后方可使用",
    ],
    "质量保证措施": [
        "原材料进场后应分类堆放、挂牌标识，未经检验合格的材料不得使用",
        "混凝土试块应在浇筑地点随机抽取，同条件养护试块的留置数量应符合规定",
        "钢筋隐蔽验收的内容包括钢筋的品种规格、数量位置、连接方式和锚固长度",
        "对施工中出现的质量问题，应查明原因，制定整改措施，并跟踪验证整改效果",
    ],
    "进度计划及保证措施": [
        "施工进度计划应根据总工期目标，按照先地下后地上、先主体后装修的顺序编排",
        "实行计划动态管理，每周对实际进度与计划进度进行对比分析",
        "合理安排交叉作业，充分利用工作面，缩短各工序之间的技术间歇",
        "关键线路上的工作一旦滞后，应立即调整资源配置，确保关键节点按期完成",
    ],
    "安全文明施工措施": [
        "施工现场的临时用电必须编制专项方案，并经审核批准后实施",
        "施工现场应设置消防通道和消防水源，按规定配置灭火器材",
        "施工现场应设置明显的安全警示标志，危险部位应设置夜间警示灯",
        "施工现场生活区与作业区应分开设置，并保持安全距离",
    ],
    "项目管理机构": [
        "项目部实行项目经理负责制，对工程的质量、安全、进度和成本全面负责",
        "项目部各职能部门在项目经理的统一领导下分工协作，各司其职",
        "项目管理人员应持证上岗，并保持相对稳定，未经建设单位同意不得更换",
    ],
    "售后服务承诺": [
        "工程交付使用后，定期回访建设单位，听取使用意见，及时改进",
        "保修期内因施工原因造成的质量问题，由我单位负责无偿维修",
        "建立工程保修档案，对每次维修的时间、内容和结果进行记录",
    ],
}


def library(section: str) -> list[str]:
    return LISTED.get(section, []) + UNLISTED.get(section, [])


def copied_sentences(company_id: str, project_id: str, section: str) -> list[str]:
    """The public sentences one bidder copies into one section (0-2 of them)."""
    rng = random.Random(f"public-library:{company_id}:{project_id}:{section}")
    pool = library(section)
    if not pool or rng.random() < 0.3:
        return []
    return [s + "。" for s in rng.sample(pool, min(len(pool), rng.randint(1, 2)))]
