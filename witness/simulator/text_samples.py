"""Deterministic Chinese bid-document texts for the document tests and the bench.

Kept on the ground floor (not in tests/) so `bench/` can use it without importing tests.

Nothing is downloaded: a seeded vocabulary of 2-4 character "words" is drawn from a
fixed list of common characters; texts are word sequences with Chinese punctuation.
Near-copies are made by word-level edits (replace / delete / insert), which is how
colluders reword a shared draft.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工"
    "也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物"
    "现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全"
    "表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无"
    "系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基"
    "资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取"
    "据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离"
    "华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低"
    "持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历"
)
PUNCT = "，。；、"


def vocabulary(seed: int = 7, size: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(CHARS) for _ in range(rng.choice((2, 2, 2, 3, 3, 4))))
        for _ in range(size)
    ]


WORDS = vocabulary()


def words(seed: int, chars: int, vocab: list[str] = WORDS) -> list[str]:
    """About `chars` characters of text as a token list (words and punctuation)."""
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < chars:
        w = rng.choice(vocab)
        out.append(w)
        total += len(w)
        if rng.random() < 0.1:
            out.append(rng.choice(PUNCT))
            total += 1
    return out


def reword(tokens: list[str], rate: float, seed: int, vocab: list[str] = WORDS) -> list[str]:
    """Word-level edits at `rate` (a third each: delete, replace, insert after)."""
    rng = random.Random(seed)
    out: list[str] = []
    for tok in tokens:
        x = rng.random()
        if x < rate / 3:
            continue
        if x < 2 * rate / 3:
            out.append(rng.choice(vocab))
        elif x < rate:
            out.extend((tok, rng.choice(vocab)))
        else:
            out.append(tok)
    return out


def template(seed: int = 1, chars: int = 6000, sections: int = 8) -> list[str]:
    """The tender template as sections; each ends with a blank the bidder fills in."""
    toks = words(seed, chars)
    step = max(1, len(toks) // sections)
    return ["".join(toks[i : i + step]) + "投标人名称：＿＿＿＿" for i in range(0, len(toks), step)]


def bid_document(tmpl: list[str], own: list[str], bidder_name: str, *, fill_seed: int = 0) -> str:
    """A bid: the template's sections (blank filled in) interleaved with the bidder's text."""
    own_text = "".join(own)
    n = len(tmpl)
    cut = max(1, len(own_text) // n)
    parts: list[str] = []
    for i, section in enumerate(tmpl):
        parts.append(section.replace("＿＿＿＿", bidder_name))
        parts.append("\n")
        parts.append(own_text[i * cut : (i + 1) * cut if i < n - 1 else None])
        parts.append("\n")
    return "".join(parts)


def public_library(seed: int = 3, size: int = 40, chars: int = 36) -> list[str]:
    """Stock sentences from public method statements, which honest bidders all copy."""
    return ["".join(words(seed * 100_000 + i, chars)) + "。" for i in range(size)]


def with_library(own: list[str], library: list[str], seed: int, count: int) -> list[str]:
    """`own` with `count` library sentences copied in at random places (honest reuse)."""
    rng = random.Random(seed)
    out = list(own)
    for sentence in rng.sample(library, min(count, len(library))):
        out.insert(rng.randrange(len(out) + 1), "。" + sentence)
    return out


def tender_text(tmpl: list[str]) -> str:
    return "\n".join(tmpl)


def credit_code(seed: int) -> str:
    """An 18-character 统一社会信用代码-shaped id (format only, not checksummed)."""
    rng = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + "".join(rng.choice(alphabet) for _ in range(16))


# ---------------------------------------------------------------- events

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
