"""Form letters as people really send them, generated deterministically (seeded), with known
campaigns, for the grouping tests and benchmark (issue 24).

A campaign's template is 160–400 characters: an opening, four to seven body sentences drawn
from a bank of sentence patterns filled with the campaign's own facility, plan, concerns and
proposals, and a closing. Each letter is the template with some of what people do to it: a
greeting before and a polite closing after, a personal sentence, a signature block with
住所・氏名・年齢・職業 (or a one-line signature, a postcode, a phone number, an e-mail
address), full-width/half-width and punctuation changes, typos, a dropped or swapped sentence,
one sentence turned to 常体. About one letter in ten is paraphrased: each sentence rewritten
in another pattern of the same meaning, so it shares the content words but few characters.
Some campaigns share one boilerplate paragraph of a citizens' group; identical short comments
(「反対です。」) come many times; independent comments talk about the same facilities in
their own words, some with greetings and signatures too.

Truth labels: campaign c has label c; each short comment its own shared label (1000 + s);
each independent comment a label of its own (1_000_000 + index).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FACILITIES = [
    "市民文化ホール",
    "中央図書館",
    "駅前広場",
    "市立病院",
    "東部浄水場",
    "ごみ処理施設",
    "河川敷公園",
    "旧庁舎跡地",
    "市営バス路線",
    "学校給食センター",
    "西区児童館",
    "北部公民館",
    "市営プール",
    "動植物園",
    "総合体育館",
    "青少年会館",
    "港湾緑地",
    "中央卸売市場",
    "市民病院分院",
    "老人福祉センター",
    "天文台",
    "郷土資料館",
    "市営住宅",
    "自転車駐車場",
]
PLANS = ["建て替え", "廃止", "統合", "移転", "民営化", "有料化", "規模縮小", "再開発"]
USES = [
    "子どもたちの学びの場",
    "高齢者の憩いの場",
    "地域の防災拠点",
    "文化活動の発表の場",
    "通勤や通学の足",
    "住民どうしの交流の場",
    "障害のある人も安心して過ごせる場所",
    "観光客を迎える玄関口",
]
CONCERNS = [
    "利用者の負担が大きく増える",
    "周辺の道路が渋滞する",
    "災害時の避難先がなくなる",
    "事業費の見積もりが不透明である",
    "近隣の住民の生活環境が悪くなる",
    "代わりの施設が遠くて通えない",
    "貴重な樹木や景観が失われる",
    "職員の専門性が引き継がれない",
]
PEOPLE = ["子育て世帯", "高齢者", "障害のある方", "学生", "商店街の事業者", "外国人住民"]
WHEN = ["夜間や休日", "平日の夜", "土日の午後", "複数の会場と日程"]
ALTERNATIVES = [
    "既存施設の改修",
    "近隣施設との共同利用",
    "規模を抑えた整備",
    "段階的な実施",
    "民間の空き施設の活用",
    "利用料の据え置き",
]
YEARS = ["三十年", "四十年", "五十年", "半世紀", "二十年"]
# Each pattern in three wordings of the same meaning: the template uses the first, and a
# paraphrased letter one of the others (so it keeps the content words, not the characters).
PATTERNS = {
    "history": [
        "{F}は開設から{Y}にわたり、{U}として多くの市民に利用されてきました。",
        "{Y}ものあいだ、{F}は{U}の役割を果たし、たくさんの人が使ってきた施設です。",
        "{U}として、{F}は{Y}近く地域の人々に親しまれています。",
    ],
    "concern": [
        "現在の案では、{C}という点が十分に検討されていないと考えます。",
        "示された計画は、{C}ことへの配慮が足りないように見受けられます。",
        "{C}おそれがあるのに、その対策が計画のどこにも書かれていません。",
    ],
    "people": [
        "特に{P}にとって、{A}の影響は非常に大きいものです。",
        "{A}によって一番困るのは{P}ではないでしょうか。",
        "{P}の暮らしへの影響を考えると、{A}はとても心配です。",
    ],
    "meeting": [
        "計画を決める前に、住民説明会を{W}に開き、丁寧に説明してください。",
        "決定の前に、{W}にも参加できる説明の場を設けていただきたいです。",
        "住民への説明会は、働く人も出られるよう{W}に開催すべきです。",
    ],
    "alternative": [
        "また、{X}など、ほかの方法も比較して検討するよう求めます。",
        "{X}といった別の案と比べた結果も、あわせて示してほしいと思います。",
        "ほかの選択肢として、{X}も検討に加えるべきだと考えます。",
    ],
    "cost": [
        "{A}にかかる費用とその財源を、市民に分かるように公表してください。",
        "{F}の{A}にいくらかかり、そのお金をどこから出すのかを明らかにしてほしい。",
        "{A}の事業費と財源の内訳を、きちんと市民に示すよう求めます。",
    ],
    "users": [
        "{F}の年間利用者は約{K}万人にのぼり、その数は年々増えています。",
        "毎年およそ{K}万人が{F}を訪れており、利用は増え続けています。",
        "{F}を使う人は年に{K}万人ほどいて、減るどころか増えているのです。",
    ],
    "future": [
        "{F}は、将来の世代にも引き継ぐべき大切な財産です。",
        "子や孫の代まで{F}を残していくことが大切だと思います。",
        "{F}を次の世代に残すことは、今を生きる私たちの責任です。",
    ],
    "participation": [
        "市民が計画づくりに参加できる検討会を設けることを提案します。",
        "計画を作る段階から、市民も加わる話し合いの場を設けてはどうでしょうか。",
        "住民が議論に加われる検討の会議を、市が設置するよう提案いたします。",
    ],
    "schedule": [
        "{A}の時期を急がず、少なくとも{N}年は延ばして議論を尽くしてください。",
        "結論を急ぐ必要はなく、あと{N}年ほどかけて話し合うべきです。",
        "{N}年程度は実施を先送りし、その間に十分な議論をしていただきたい。",
    ],
}
OPENINGS = [
    "{F}の{A}計画について、意見を申し上げます。",
    "{F}を{A}するという計画に関して、私の考えを述べさせていただきます。",
    "今回示された{F}{A}の案について、一言申し上げたいと思います。",
]
CLOSINGS = [
    "以上の理由から、{F}の{A}計画に反対します。",
    "こうした理由で、私は{F}の{A}には賛成できません。",
    "したがって、{F}を{A}する案の見直しを強く求めます。",
]
# A citizens' group's paragraph that several unrelated campaigns carry.
BOILERPLATE = [
    "私たち市民の会は、市政への市民参加を広げる活動を続けています。",
    "寄せられた意見はすべて公開し、一つひとつに市の考え方を示してください。",
]
GREETINGS = [
    "いつもお世話になっております。",
    "お世話になります。",
    "初めてご意見をお送りします。",
    "突然のご連絡失礼いたします。",
    "市の担当者の皆様、いつもありがとうございます。",
    "拝啓 時下ますますご清栄のこととお喜び申し上げます。",
]
SIGN_OFFS = [
    "よろしくお願いいたします。",
    "ご検討のほど、よろしくお願い申し上げます。",
    "敬具",
    "以上です。",
]
WARDS = ["東区", "西区", "南区", "北区", "中央区", "緑区"]
TOWNS = ["本町", "新町", "桜町", "水前寺", "大江", "長嶺", "清水", "花園"]
FAMILY = [
    "二児の母",
    "三児の父",
    "年金暮らしの者",
    "大学生",
    "自営業の者",
    "共働きの会社員",
    "小学校の教員",
    "介護をしている者",
]
SURNAMES = ["山田", "佐藤", "鈴木", "田中", "高橋", "中村", "小林", "松本", "井上", "木村"]
GIVEN = ["花子", "太郎", "美咲", "健一", "陽子", "大輔", "和子", "翔太", "直美", "誠"]
JOBS = ["会社員", "主婦", "自営業", "無職", "学生", "公務員", "パート", "農業", "看護師"]
PERSONAL = [
    "私は{W}に住む{M}です。",
    "{W}に暮らして{Q}年になる{M}です。",
    "私自身、月に何度も{F}を利用しています。",
    "家族が{F}の近くで働いており、他人事とは思えません。",
    "先日も{G}と一緒に{F}へ行ったばかりです。",
    "{W}{T}の町内会で役員をしている者です。",
]
COMPANIONS = ["子ども", "母", "孫", "友人", "近所の方", "夫"]
SHORT = [
    "反対です。",
    "賛成です。",
    "計画に反対します。",
    "撤回を求めます。",
    "よく検討してください。",
]
# Independent comments: their own sentences about the same facilities, each put together
# from a lead-in, a subject and a wish, so two writers rarely write the same sentence.
LEADS = [
    "",
    "正直に言うと、",
    "前から気になっていたのですが、",
    "{M2}月に行ったとき、",
    "家族とも話したのですが、",
    "利用者の一人として、",
    "{W}から通う者として、",
    "個人的には、",
    "去年のことですが、",
    "せっかくなので書きますが、",
]
OWN = [
    "{F}の{Z}をもっと{V}してほしいです。",
    "{F}の職員の方の対応がとても丁寧で、{G}も喜んでいました。",
    "{W}から{F}へ行くバスが{D}分に一本しかなく、不便に感じています。",
    "{F}の{Z}が古くなっているので、早めに直していただけると助かります。",
    "{F}では{E}のような催しを増やしてほしいと思います。",
    "{W}には{F}のような施設が少ないので、もう少し近くにあると嬉しいです。",
    "広報で{F}の記事を読み、初めてこの計画を知りました。",
    "{Z}の案内が分かりにくく、{G}が{D}分ほど迷っていました。",
    "{F}の{A}よりも、{Z}の改善を先に進めてほしいです。",
    "{F}の{Z}については、利用者の意見をもっと聞いてから決めてください。",
    "{F}の近くは夜になると暗く、{G}を一人で行かせるのが不安です。",
    "{F}の{Z}が{D}分待ちになることがあり、困っています。",
    "{E}に参加して、{F}の良さを改めて感じました。",
    "{F}まで歩いて{D}分かかるので、{Z}があると助かります。",
    "{F}の{A}は仕方がないと思いますが、{Z}だけは残してください。",
    "{G}が{F}で{E}を楽しみにしています。",
]
PARTS = [
    "駐車場",
    "トイレ",
    "開館時間",
    "案内表示",
    "無料Wi-Fi",
    "休憩スペース",
    "照明",
    "予約方法",
    "授乳室",
    "エレベーター",
    "売店",
    "ベンチ",
    "受付窓口",
    "ホームページ",
    "送迎バス",
    "駐輪場",
]
VERBS = ["充実", "改善", "分かりやすく", "広く", "長く", "きれいに", "使いやすく", "安全に"]
EVENTS = [
    "子ども向けの講座",
    "地元の音楽会",
    "季節の展示",
    "健康相談",
    "防災訓練",
    "古本市",
    "星空観察会",
    "料理教室",
    "英会話サロン",
    "親子体操",
]
FULL = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－",
)
HALF_KATAKANA = str.maketrans({"ホ": "ﾎ", "ル": "ﾙ", "バ": "ﾊﾞ", "ス": "ｽ", "セ": "ｾ", "ン": "ﾝ"})
# 敬体 endings and their 常体 forms, longest first, for turning one sentence plain.
PLAIN = [
    ("ではないでしょうか。", "ではないだろうか。"),
    ("と考えます。", "と考える。"),
    ("と思います。", "と思う。"),
    ("いたします。", "する。"),
    ("します。", "する。"),
    ("ください。", "ほしい。"),
    ("ています。", "ている。"),
    ("てきました。", "てきた。"),
    ("ません。", "ない。"),
    ("です。", "だ。"),
    ("ます。", "る。"),
]
# Words a writer swaps when putting a letter in their own words, each taken or not by chance,
# so that two paraphrases of one template rarely share a whole sentence.
SYNONYMS = [
    ("市民", "住民"),
    ("計画", "案"),
    ("求めます", "お願いします"),
    ("してください", "してほしいです"),
    ("とても", "大変"),
    ("大きい", "大きな"),
    ("多くの", "たくさんの"),
    ("心配", "不安"),
    ("示", "出"),
    ("きちんと", "しっかり"),
    ("検討", "考慮"),
    ("思います", "考えます"),
    ("大切", "大事"),
    ("十分", "じゅうぶん"),
    ("明らかに", "はっきり"),
    ("また、", "それから、"),
    ("設け", "つく"),
    ("利用", "活用"),
]
TYPO = "あいうえおかきくけこさしすせそたちつてとなにぬねの"


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    truth: list[int]
    paraphrased: list[bool]  # a campaign letter reworded by its writer
    kind: list[str]  # "campaign", "paraphrase", "short" or "independent"


@dataclass(frozen=True)
class Campaign:
    sentences: list[str]  # the template, sentence by sentence
    fill: dict[str, str]  # the slot values, for paraphrases in other wordings
    keys: list[str]  # the pattern of each sentence ("opening", a PATTERNS key, ...)


def _fill(rng: random.Random, facility: str, plan: str) -> dict[str, str]:
    return {
        "F": facility,
        "A": plan,
        "U": rng.choice(USES),
        "C": rng.choice(CONCERNS),
        "P": rng.choice(PEOPLE),
        "W": rng.choice(WHEN),
        "X": rng.choice(ALTERNATIVES),
        "Y": rng.choice(YEARS),
        "K": str(rng.randint(3, 60)),
        "N": rng.choice(["二", "三", "五"]),
    }


def _campaign(rng: random.Random, facility: str, plan: str, boilerplate: bool) -> Campaign:
    while True:
        fill = _fill(rng, facility, plan)
        body = rng.sample(sorted(PATTERNS), rng.randint(4, 7))
        keys = ["opening", *body, "closing"]
        if boilerplate:
            keys[1:1] = ["boilerplate0", "boilerplate1"]
        sentences = [_wording(key, 0, fill) for key in keys]
        if 160 <= len("".join(sentences)) <= 400:
            return Campaign(sentences, fill, keys)


def _wording(key: str, which: int, fill: dict[str, str]) -> str:
    if key.startswith("boilerplate"):
        return BOILERPLATE[int(key[-1])]
    forms = {"opening": OPENINGS, "closing": CLOSINGS}.get(key) or PATTERNS[key]
    return forms[which].format(**fill)


FILLERS = ["本当に", "ぜひ", "どうか", "やはり", "何より", "改めて", "少なくとも", "率直に言って"]


def _own_words(sentence: str, rng: random.Random) -> str:
    if rng.random() < 0.9:
        cuts = [0] + [i + 1 for i, ch in enumerate(sentence) if ch == "、"]
        cut = rng.choice(cuts)
        sentence = sentence[:cut] + rng.choice(FILLERS) + sentence[cut:]
    return sentence


def _plain(sentence: str) -> str:
    for polite, plain in PLAIN:
        if sentence.endswith(polite):
            return sentence[: -len(polite)] + plain
    return sentence


def _typo(text: str, rng: random.Random) -> str:
    position = rng.randrange(len(text))
    if rng.random() < 0.5:
        return text[:position] + rng.choice(TYPO) + text[position + 1 :]
    return text[:position] + text[position + 1 :]  # a character left out


def _personal(rng: random.Random, fill: dict[str, str]) -> str:
    return rng.choice(PERSONAL).format(
        W=rng.choice(WARDS),
        M=rng.choice(FAMILY),
        Q=rng.randint(2, 40),
        F=fill["F"],
        G=rng.choice(COMPANIONS),
        T=rng.choice(TOWNS),
    )


def _signature(rng: random.Random) -> str:
    ward, town = rng.choice(WARDS), rng.choice(TOWNS)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    age, job = rng.randint(18, 89), rng.choice(JOBS)
    address = f"熊本市{ward}{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    phone = f"0{rng.randint(90, 96)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    mail = f"{rng.choice(['yamada', 'hana', 'k.sato', 'info'])}{rng.randint(1, 999)}@example.jp"
    style = rng.randrange(4)
    if style == 0:
        return f"住所：{address}\n氏名：{name}\n年齢：{age}歳\n職業：{job}"
    if style == 1:
        return f"〒860-{rng.randint(1000, 9999)} {address}\n{name}（{age}歳・{job}）\nTEL {phone}"
    if style == 2:
        return f"{ward}在住 {name} {age}歳 {job}\nメール：{mail}"
    return f"【住所】{address}【氏名】{name}【年齢】{age}【職業】{job}【電話】{phone}"


def _surface(text: str, rng: random.Random) -> str:
    """Width and punctuation changes people make without changing a word."""
    if rng.random() < 0.3:
        text = text.translate(FULL)
    if rng.random() < 0.1:
        text = text.translate(HALF_KATAKANA)
    if rng.random() < 0.2:
        text = text.replace("、", "，").replace("。", "．")
    if rng.random() < 0.2:
        text = text.replace("。", "。\n")
    if rng.random() < 0.15:
        text = text.replace("。", "！", 1)
    if rng.random() < 0.15:
        text = text.replace("、", " ")
    return text


def _letter(campaign: Campaign, rng: random.Random, paraphrase: bool) -> str:
    keys = list(campaign.keys)
    if paraphrase:
        sentences = [
            _wording(key, rng.choice([1, 2]), campaign.fill) if rng.random() < 0.85 else s
            for key, s in zip(keys, campaign.sentences, strict=True)
        ]
        swaps = [pair for pair in SYNONYMS if rng.random() < 0.5]
        for old, new in swaps:
            sentences = [s.replace(old, new) for s in sentences]
        # Each writer's own small words, so two paraphrases rarely share a whole sentence.
        sentences = [_own_words(s, rng) for s in sentences]
        if rng.random() < 0.5:  # the writer also orders the points differently
            middle = sentences[1:-1]
            rng.shuffle(middle)
            sentences = [sentences[0], *middle, sentences[-1]]
    else:
        sentences = list(campaign.sentences)
        edit = rng.random()
        if edit < 0.2 and len(sentences) > 4:
            sentences.pop(rng.randrange(len(sentences)))  # a sentence dropped
        elif edit < 0.4:
            i, j = rng.sample(range(len(sentences)), 2)  # two sentences swapped
            sentences[i], sentences[j] = sentences[j], sentences[i]
        if rng.random() < 0.2:  # one sentence turned to 常体
            i = rng.randrange(len(sentences))
            sentences[i] = _plain(sentences[i])
    if rng.random() < 0.5:
        sentences.insert(rng.randrange(1, len(sentences)), _personal(rng, campaign.fill))
    if rng.random() < 0.15:
        sentences.insert(0, _personal(rng, campaign.fill))
    text = "".join(sentences)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        text = _typo(text, rng)
    return _dress(_surface(text, rng), rng)


def _dress(text: str, rng: random.Random) -> str:
    """A greeting before, a sign-off and a signature after, as letters come."""
    if rng.random() < 0.5:
        text = rng.choice(GREETINGS) + rng.choice(["", "\n"]) + text
    if rng.random() < 0.4:
        text = text + rng.choice(["", "\n"]) + rng.choice(SIGN_OFFS)
    if rng.random() < 0.5:
        text = text + "\n\n" + _signature(rng)
    return text


def _independent(rng: random.Random) -> str:
    fill = {
        "F": rng.choice(FACILITIES),
        "A": rng.choice(PLANS),
        "Z": rng.choice(PARTS),
        "V": rng.choice(VERBS),
        "E": rng.choice(EVENTS),
        "W": rng.choice(WARDS),
        "G": rng.choice(COMPANIONS),
        "M2": str(rng.randint(1, 12)),
        "D": str(rng.randint(5, 90)),
    }
    sentences = [
        rng.choice(LEADS).format(**fill) + s.format(**fill)
        for s in rng.sample(OWN, rng.randint(1, 4))
    ]
    if rng.random() < 0.3:
        sentences.insert(0, _personal(rng, fill))
    return _dress(_surface("".join(sentences), rng), rng)


def generate(
    size: int,
    campaigns: int | None = None,
    seed: int = 24,
    paraphrase_share: float = 0.1,
) -> Corpus:
    """`size` comments: about 75 % campaign letters (one in ten of them paraphrased), 5 %
    identical short comments and 20 % independent comments. Campaigns: one per 2,000
    comments (at least 8), of skewed sizes; every fourth carries the boilerplate paragraph."""
    rng = random.Random(seed)
    count = campaigns or max(8, size // 2000)
    pairs = [(f, p) for f in FACILITIES for p in PLANS]
    rng.shuffle(pairs)
    chosen = pairs[:count]
    # Two campaigns about the same facility and plan but worded apart: they share their
    # opening and closing sentences.
    if count >= 4:
        chosen[1] = chosen[0]
    templates = [_campaign(rng, f, p, boilerplate=i % 4 == 0) for i, (f, p) in enumerate(chosen)]
    weights = [rng.random() ** 2 + 0.05 for _ in templates]
    texts: list[str] = []
    truth: list[int] = []
    paraphrased: list[bool] = []
    kinds: list[str] = []
    # Every campaign has at least two letters, the rest are drawn by weight.
    order = [i % count for i in range(2 * count)]
    for index in range(size):
        draw = rng.random()
        if index < len(order) or draw < 0.75:
            which = order[index] if index < len(order) else rng.choices(range(count), weights)[0]
            para = index >= len(order) and rng.random() < paraphrase_share
            texts.append(_letter(templates[which], rng, para))
            truth.append(which)
            paraphrased.append(para)
            kinds.append("paraphrase" if para else "campaign")
        elif draw < 0.8:
            short = rng.randrange(len(SHORT))
            text = SHORT[short]
            texts.append(_surface(text, rng) if rng.random() < 0.3 else text)
            truth.append(1000 + short)
            paraphrased.append(False)
            kinds.append("short")
        else:
            texts.append(_independent(rng))
            truth.append(1_000_000 + index)
            paraphrased.append(False)
            kinds.append("independent")
    return Corpus(texts, truth, paraphrased, kinds)
