"""Plausible Chinese names for the demo city: children, the adults who care for them, and
villages. Every name is drawn from a `random.Random` the caller seeds, so the city is the
same on every run."""

from __future__ import annotations

from itertools import accumulate
from random import Random

# The commonest surnames, weighted roughly by their national frequency (per mille), with
# the ones frequent in Jiangxi (熊 万 涂 付 邓 彭 袁 邹 饶…) a little heavier than nationally.
SURNAME_WEIGHTS: dict[str, int] = {
    "王": 72,
    "李": 72,
    "张": 68,
    "刘": 62,
    "陈": 55,
    "杨": 32,
    "黄": 28,
    "赵": 22,
    "吴": 22,
    "周": 21,
    "徐": 18,
    "孙": 15,
    "胡": 22,
    "朱": 14,
    "高": 12,
    "林": 11,
    "何": 11,
    "郭": 11,
    "马": 10,
    "罗": 14,
    "梁": 8,
    "宋": 7,
    "郑": 7,
    "谢": 9,
    "韩": 6,
    "唐": 7,
    "冯": 6,
    "于": 5,
    "董": 5,
    "萧": 4,
    "程": 6,
    "曹": 5,
    "袁": 8,
    "邓": 10,
    "许": 6,
    "傅": 5,
    "沈": 4,
    "曾": 9,
    "彭": 8,
    "吕": 4,
    "熊": 12,
    "万": 9,
    "涂": 7,
    "付": 7,
    "邹": 7,
    "饶": 5,
    "喻": 4,
    "龚": 5,
    "聂": 4,
    "魏": 5,
    "艾": 3,
    "余": 6,
    "戴": 4,
    "肖": 6,
    "江": 4,
    "蔡": 4,
}
_SURNAMES = tuple(SURNAME_WEIGHTS)
_SURNAME_CUMULATIVE = list(accumulate(SURNAME_WEIGHTS.values()))

# Given names popular for children born 2010–2025; a fifth of children have one character.
_BOY_NAMES = (
    "浩宇",
    "子轩",
    "梓豪",
    "俊杰",
    "宇航",
    "博文",
    "一鸣",
    "浩然",
    "睿泽",
    "子豪",
    "文涛",
    "梓睿",
    "宇轩",
    "明轩",
    "皓轩",
    "俊熙",
    "嘉豪",
    "鹏程",
    "思远",
    "奕辰",
    "铭泽",
    "子墨",
    "晨阳",
    "天佑",
    "家乐",
    "志鹏",
    "宏宇",
    "浩轩",
    "泽宇",
    "梓航",
    "宇豪",
    "子杰",
    "俊宇",
    "承泽",
    "锦程",
    "文博",
    "世杰",
    "振宇",
    "嘉诚",
    "雨泽",
)
_BOY_SINGLE = "杰浩宇磊鑫涛鹏博翔凯晨阳睿航"
_GIRL_NAMES = (
    "欣怡",
    "梓涵",
    "诗涵",
    "雨萱",
    "子涵",
    "佳怡",
    "思琪",
    "梓萱",
    "可欣",
    "语嫣",
    "雨欣",
    "欣妍",
    "佳琪",
    "思彤",
    "若汐",
    "一诺",
    "依诺",
    "静怡",
    "雅琪",
    "梦瑶",
    "婉婷",
    "紫涵",
    "晓雯",
    "馨月",
    "语桐",
    "沐晴",
    "芷若",
    "悦彤",
    "嘉怡",
    "雨桐",
    "梓琪",
    "欣悦",
    "诗琪",
    "佳慧",
    "雅婷",
    "思雨",
    "心怡",
    "可馨",
    "婧怡",
    "梦琪",
)
_GIRL_SINGLE = "婷琳静欣悦妍瑶琪萱晴怡雪"

# Given names of the grandparents' and parents' generation, who are guardians.
_OLDER_MEN = (
    "建国",
    "国华",
    "德明",
    "长生",
    "水根",
    "金水",
    "春生",
    "发根",
    "永福",
    "冬生",
    "家林",
    "福生",
    "志强",
    "新民",
    "和平",
    "正华",
    "火根",
    "细苟",
)
_OLDER_WOMEN = (
    "秀英",
    "桂英",
    "玉兰",
    "秀兰",
    "凤英",
    "冬梅",
    "春花",
    "金莲",
    "菊香",
    "爱华",
    "美华",
    "梅英",
    "翠兰",
    "红英",
    "小英",
    "腊梅",
    "香莲",
    "水莲",
)

# Village-name parts: surname-clan villages (李家村) and landscape villages (前坊村)
# are the two commonest kinds in the Gan river plain.
_CLAN_PARTS = (
    "李家",
    "王家",
    "胡家",
    "万家",
    "熊家",
    "涂家",
    "付家",
    "罗家",
    "邓家",
    "刘家",
    "陈家",
    "黄家",
    "张家",
    "吴家",
    "徐家",
    "周家",
    "喻家",
    "龚家",
    "聂家",
    "邹家",
    "饶家",
    "艾家",
    "曾家",
    "彭家",
    "袁家",
    "杨家",
    "朱家",
)
_PLACE_PARTS = (
    "前坊",
    "后坊",
    "塘头",
    "山下",
    "港口",
    "湖头",
    "桥头",
    "上坂",
    "下坂",
    "东岗",
    "西岗",
    "新塘",
    "石岗",
    "枫林",
    "樟树",
    "竹园",
    "荷塘",
    "河埠",
    "洲头",
    "黄岭",
    "莲花",
    "松湖",
    "高桥",
    "田心",
    "岭下",
    "坪上",
    "沙埠",
    "青岚",
    "北山",
    "南岸",
    "杨林",
    "梅岭",
    "柏树",
    "长湖",
    "大塘",
    "小港",
    "龙岗",
    "凤岭",
    "白沙",
    "金山",
    "银湾",
    "芦溪",
    "桃源",
    "石门",
    "双港",
)
# Residents' committees (社区) of a township seat take civic names.
_COMMITTEE_PARTS = (
    "东升",
    "新华",
    "建设",
    "解放",
    "振兴",
    "和平",
    "人民",
    "向阳",
    "光明",
    "团结",
    "文昌",
    "新街",
    "胜利",
    "幸福",
)


def surname(rng: Random) -> str:
    """A surname, drawn by frequency."""
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]


def child_given_name(rng: Random, sex: str) -> str:
    """A given name of two characters, or (a fifth of children) one."""
    female = sex == "female"
    if rng.random() < 0.2:
        return rng.choice(_GIRL_SINGLE if female else _BOY_SINGLE)
    return rng.choice(_GIRL_NAMES if female else _BOY_NAMES)


def older_name(rng: Random, family_name: str, *, female: bool) -> str:
    """A guardian's full name, of the grandparents' or parents' generation."""
    return family_name + rng.choice(_OLDER_WOMEN if female else _OLDER_MEN)


def village_names(rng: Random, committees: int, villages: int) -> list[str]:
    """Distinct names for one township: its residents' committees, then its villages."""
    names = [part + "社区" for part in rng.sample(_COMMITTEE_PARTS, committees)]
    pool = list(_CLAN_PARTS) + list(_PLACE_PARTS)
    names += [part + "村" for part in rng.sample(pool, villages)]
    return names
