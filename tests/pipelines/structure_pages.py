"""Pages for the structural spam verdict: spam in vocabularies the spam vocabulary does not hold,
built in the shapes spam takes on the web, and legitimate pages that share one of those shapes
(lists without sentences, a table, contact numbers, an agenda, a quoted gambling brand).

Every page is a `Page` (a title and paragraphs as the extractor hands them over, and the
extractor's signals). The spam pages are combined from a few vocabularies and several page
shapes, so no two share a template; the Traditional ones are converted with opencc as a mirror
site converts its copy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.pipelines.policy_texts import DIGITAL_POLICY, SEED_ARTICLE, s2t


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    paragraphs: list[str]
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    """Spam of one trade: its keywords, its slogans and how it asks to be contacted."""

    name: str
    keywords: tuple[str, ...]
    slogans: tuple[str, ...]
    contacts: tuple[str, ...]


# None of these words is in pipelines/spam/vocabulary.py (a test checks it).
VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(
        "gambling_brands",
        ("亚博体育官网", "开云体育app下载", "九游会登录", "华体会体育", "乐鱼体育入口", "天博体育注册",
         "必威官网", "凯发旗舰厅", "星空体育直播", "米乐体育平台", "亚博体育注册", "开云体育入口"),
        ("亚博体育官网注册即送88元，首存再送百分之百", "开云体育全网最高返水，24小时极速出款"),
        ("客服QQ：2895513672", "加微信kyty8899领取新人礼包"),
    ),
    Vocabulary(
        "porn",
        ("麻豆传媒", "蜜桃视频", "果冻传媒", "草榴社区", "午夜福利影院", "精品一区二区", "吃瓜黑料网",
         "丝袜美腿", "天美传媒", "星空传媒", "91制片厂", "免费看片"),
        ("午夜福利影院免费观看，无需注册直接看", "麻豆传媒最新作品在线观看，每日更新"),
        ("加微信mdcm666看更多", "加v获取最新地址"),
    ),
    Vocabulary(
        "invoices",
        ("代开各类发票", "增值税专用发票", "普通发票代开", "开票", "真票可查验", "税点低",
         "建筑业发票", "运输发票", "餐饮发票", "会议费发票", "住宿费发票", "全国可开"),
        ("本公司常年代开各类发票，税点低，真票可查验，欢迎来电咨询",
         "正规开票，全国可开，先验后付"),
        ("联系电话：13826547891", "加微信kp20250801", "QQ：3312458790"),
    ),
    Vocabulary(
        "surrogacy",
        ("代孕", "试管婴儿包成功", "供卵", "包生男孩", "代孕机构", "助孕中心", "代孕价格", "借腹生子",
         "三代试管", "赴美生子", "代孕妈妈", "包性别"),
        ("专业代孕十五年，试管婴儿包成功，不成功全额退款", "正规助孕机构，供卵代孕一站式服务"),
        ("咨询热线：18688812345", "加微信dy-baby520"),
    ),
    Vocabulary(
        "certificates",
        ("办证", "办理毕业证", "学历认证", "学位证办理", "各类证件制作", "驾驶证办理", "资格证代办",
         "职称证书", "专升本文凭", "国外文凭", "学信网可查", "一比一制作"),
        ("专业办理毕业证学位证，学信网可查，先办证后付款", "各类证件制作，质量保证，全国包邮"),
        ("办证电话：15912348765", "加微信bz98765"),
    ),
    Vocabulary(
        "contact_lines",
        ("兼职刷单", "日结", "宝妈兼职", "手机兼职", "高佣金", "无押金", "在家可做", "一单一结",
         "学生兼职", "打字员", "日赚三百", "招代理"),
        ("手机兼职日结，宝妈学生均可，一单一结无押金", "招代理，高佣金，在家可做"),
        ("加微信jz66688 电话13512340001", "加微信jz66689 电话13512340002",
         "QQ：998877661 微信：jz66690", "电话13512340004 微信同号"),
    ),
)

SEPARATORS = ("_", "-", "|", " ", "，")


def _rotate(words: tuple[str, ...], start: int, count: int) -> list[str]:
    return [words[(start + i) % len(words)] for i in range(count)]


def keyword_title(vocabulary: Vocabulary, separator: str, start: int = 0) -> str:
    return separator.join(_rotate(vocabulary.keywords, start, 4))


# --- spam page shapes -----------------------------------------------------------------------


def comma_list(v: Vocabulary, separator: str) -> Page:
    """Paragraphs of keywords joined by commas, a contact at the end."""
    body = [
        "，".join(_rotate(v.keywords, 0, 7)),
        "，".join(_rotate(v.keywords, 5, 8)) + "。",
        f"{v.contacts[0]}",
    ]
    return Page("comma_list", keyword_title(v, separator), body)


def repeated_slogan(v: Vocabulary, separator: str) -> Page:
    """One slogan said five times, the contact after each."""
    slogan = f"{v.slogans[0]}。{v.contacts[-1]}"
    return Page("repeated_slogan", keyword_title(v, separator, 3), [slogan] * 5)


def space_list(v: Vocabulary, separator: str) -> Page:
    """Keywords joined by spaces, line after line, as a tag cloud."""
    body = [" ".join(_rotate(v.keywords, start, 6)) for start in (0, 4, 8, 2)]
    return Page("space_list", keyword_title(v, separator, 1), body)


def link_page(v: Vocabulary, separator: str) -> Page:
    """Mostly links to other hosts: short anchor texts, one slogan."""
    body = [v.slogans[1], *(f"{word}" for word in _rotate(v.keywords, 2, 9))]
    signals = {"offsite_link_ratio": 0.85, "link_text_ratio": 0.7}
    return Page("link_page", keyword_title(v, separator, 2), body, signals)


def contact_page(v: Vocabulary, separator: str) -> Page:
    """Line after line of contacts, each with a keyword."""
    body = [
        f"{word} {contact}"
        for word, contact in zip(_rotate(v.keywords, 0, 6), itertools.cycle(v.contacts))
    ]
    return Page("contact_page", keyword_title(v, separator, 4), body)


def enumeration_list(v: Vocabulary, separator: str) -> Page:
    """Keywords joined by 、 without a sentence, and a stem said again and again."""
    stem = v.keywords[0][:3]
    body = [
        "、".join(_rotate(v.keywords, 0, 10)),
        "，".join(f"{stem}{suffix}" for suffix in ("官网", "入口", "注册", "登录", "下载", "地址")),
    ]
    return Page("enumeration_list", keyword_title(v, separator, 5), body)


SHAPES: tuple[Callable[[Vocabulary, str], Page], ...] = (
    comma_list, repeated_slogan, space_list, link_page, contact_page, enumeration_list,
)


def spam_pages() -> list[Page]:
    """Every vocabulary in four of the shapes (rotating, so each shape meets several
    vocabularies), each with another title separator or a slogan for a title; and a Traditional
    copy of some."""
    pages: list[Page] = []
    for number, vocabulary in enumerate(VOCABULARIES):
        for offset in range(4):
            shape = SHAPES[(number + offset) % len(SHAPES)]
            separator = SEPARATORS[(number + offset) % len(SEPARATORS)]
            page = shape(vocabulary, separator)
            # One page of each vocabulary is titled by its slogan (one segment): its body alone
            # must give it away.
            title = vocabulary.slogans[1].split("，")[0] if offset == 3 else page.title
            pages.append(Page(f"{vocabulary.name}/{page.name}", title, page.paragraphs,
                              page.signals))
    traditional = [
        Page(f"{p.name}/traditional", s2t(p.title), [s2t(x) for x in p.paragraphs], p.signals)
        for p in pages[::5]
    ]
    return [*pages, *traditional]


# A hand-written page for the run said thrice, and a page of vocabulary terms beside topic words
# with no sentence (topic words clear nothing on a page that does not read as an article).
HANDWRITTEN_SPAM: tuple[Page, ...] = (
    Page(
        "surrogacy/run_thrice",
        "代孕包成功 供卵 包男孩",
        ["包成功包成功包成功", "代孕 供卵 三代试管 包性别 借腹生子", "咨询热线：18688812345"],
    ),
    Page(
        "known_terms/with_topic_words",
        "百家乐_六合彩_博彩平台推荐_彩票",
        ["博彩 彩票 百家乐 六合彩 时时彩 体彩 福彩", "博彩平台排行 彩票平台 百家乐技巧 六合彩资料"],
    ),
)


# --- legitimate pages -----------------------------------------------------------------------

ANTI_GAMBLING_NOTICE = Page(
    "anti_gambling_notice",
    "关于开展打击跨境赌博专项行动的通知",
    [
        "各区县公安分局、市局各有关单位：",
        "为坚决遏制跨境赌博违法犯罪蔓延势头，切实维护人民群众财产安全和社会稳定，"
        "经研究，决定自即日起至2025年12月31日在全市范围内开展打击跨境赌博专项行动。现将有关事项通知如下。",
        "一、工作重点。重点打击境外赌博集团在我市发展代理、招揽参赌人员的行为，"
        "依法查处以“百家乐”“六合彩”等为名义开设的网络赌博平台，以及为其提供支付结算、技术支持、推广引流的犯罪团伙。",
        "二、工作措施。各单位要加强情报研判，深挖涉赌资金链条，会同金融监管部门加强可疑交易监测；"
        "对利用社交软件、短视频平台发布赌博广告的，要依法及时处置。",
        "三、工作要求。各单位要高度重视，明确责任分工，每月25日前将工作进展情况报市局治安支队。"
        "对工作不力、打击成效不明显的单位，市局将予以通报。",
        "市公安局",
        "2025年3月12日",
    ],
)

LOTTERY_REPORT = Page(
    "lottery_fund_report",
    "2024年度市本级体育彩票公益金使用情况公告",
    [
        "根据《彩票管理条例》和《彩票公益金管理办法》的规定，现将2024年度市本级体育彩票公益金使用情况公告如下。",
        "一、资金总体情况。2024年度，市本级共安排体育彩票公益金4860万元，其中，"
        "用于全民健身设施建设2310万元，群众体育赛事活动960万元，青少年体育发展1120万元，其他体育事业470万元。",
        "二、主要项目。新建和改造社区健身路径86条、笼式足球场12片、体育公园3个；"
        "举办全市全民健身运动会、社区篮球联赛等群众性赛事活动140余场次，参与群众超过30万人次。",
        "三、绩效情况。经第三方机构评价，公益金项目总体绩效等级为优，"
        "群众对健身设施的满意度达到93.6%。下一步，我们将进一步加强项目管理，提高资金使用效益。",
        "市体育局",
    ],
)

ADULT_EDUCATION_NEWS = Page(
    "adult_education_news",
    "我市成人教育和社区教育工作取得新进展",
    [
        "记者从市教育局获悉，今年以来，我市持续推进成人教育和社区教育融合发展，"
        "全市新建社区学院分院5所、社区学习点62个，全年开展各类培训3.2万人次。",
        "在成人学历教育方面，市开放大学与12家企业合作开设“学历+技能”订单班，"
        "帮助一线职工在不离岗的情况下提升学历层次，首批486名学员已顺利毕业。",
        "市教育局有关负责人表示，下一步将加快构建服务全民的终身学习体系，"
        "推动优质成人教育资源向基层延伸，让更多市民在家门口就能学习。",
    ],
)

WELFARE_POLICY = Page(
    "welfare_policy",
    "关于进一步加强困难群众基本生活保障和社会福利工作的实施意见",
    [
        "各县（市、区）人民政府，市政府各部门：",
        "为深入贯彻以人民为中心的发展思想，进一步织密扎牢民生保障网，现就加强困难群众基本生活保障和社会福利工作提出如下意见。",
        "一、完善社会救助制度。健全最低生活保障标准动态调整机制，将符合条件的低收入家庭纳入救助范围，"
        "对重病、重残人员按规定实施单人保。",
        "二、发展儿童和老年福利事业。提高孤儿和事实无人抚养儿童基本生活保障标准，"
        "支持社会福利院、儿童福利机构转型发展，推进老年人福利补贴制度城乡统筹。",
        "三、强化组织实施。各地要把社会福利工作纳入经济社会发展规划，落实资金保障，"
        "民政部门要会同有关部门加强督促检查，确保各项政策落地见效。",
    ],
)

_PLACES = ("东海市", "临江市", "青山县", "海州区", "云台区", "白沙县", "南湖区", "北岭市")
_TRADES = ("智能装备", "新材料", "精密机械", "电子科技", "生物医药", "环保科技", "汽车零部件",
           "软件技术", "新能源", "检测技术")
_FORMS = ("有限公司", "股份有限公司")


def _company(number: int) -> str:
    place = _PLACES[number % len(_PLACES)]
    trade = _TRADES[(number * 3) % len(_TRADES)]
    name = "华瑞恒通鼎盛博远中科宏达立信"[number % 14] + "远泰成祥汇安信达瑞丰"[(number * 7) % 10]
    return f"{number + 1}. {place}{name}{trade}{_FORMS[number % 2]}"


NAME_LIST = Page(
    "name_list",
    "关于公布2025年度专精特新中小企业名单的通知",
    [
        "各市工业和信息化局：",
        "根据《优质中小企业梯度培育管理暂行办法》，经企业自愿申报、各市推荐、专家评审和网上公示，"
        "确定东海市华远智能装备有限公司等40家企业为2025年度省级专精特新中小企业，现予以公布。",
        *(_company(n) for n in range(40)),
        "附件：2025年度专精特新中小企业名单",
        "省工业和信息化厅",
        "2025年9月30日",
    ],
)

_REGIONS = ("东海市", "临江市", "北岭市", "海州市", "云台市", "白沙市", "南湖市", "青山市", "西林市")

TABLE_PAGE = Page(
    "data_table",
    "2025年1—9月全省各市规模以上工业主要经济指标",
    [
        "地区 工业增加值增速(%) 营业收入(亿元) 增速(%) 利润总额(亿元) 增速(%)",
        "全省 6.1 48213.6 5.4 2876.3 7.2",
        *(f"{region} {5.0 + i * 0.3:.1f} {3200 + i * 417.5:.1f} {4.1 + i * 0.2:.1f} "
          f"{180 + i * 23.4:.1f} {2.5 + i * 0.6:.1f}" for i, region in enumerate(_REGIONS)),
        "注：1.本表数据为快报数，2.增速按可比价格计算。",
        "数据来源：省统计局",
    ],
)

ENQUIRY_NOTICE = Page(
    "enquiry_notice",
    "关于召开2025年全省中小企业服务工作会议的通知",
    [
        "各市工业和信息化局、省中小企业服务中心：",
        "经研究，定于2025年11月6日在省会召开全省中小企业服务工作会议，总结今年工作，部署明年任务。",
        "请各市分管负责同志和中小企业科负责人参加，并于10月30日前将参会回执报送我厅。",
        "联系人：张三，电话：010-12345678",
        "联系人：李四，13912345678；王五，13887654321",
    ],
)

AGENDA = Page(
    "conference_agenda",
    "2025东海中小企业数字化转型大会议程",
    [
        "时间：2025年11月18日 地点：东海国际会议中心二楼报告厅",
        "08:30—09:00 嘉宾签到",
        "09:00—09:20 开幕致辞 省工业和信息化厅负责同志",
        "09:20—09:50 主旨演讲 数字化转型的路径与方法",
        "09:50—10:20 主旨演讲 工业互联网平台赋能中小企业",
        "10:20—10:35 茶歇",
        "10:35—11:05 主旨演讲 数据要素与企业管理变革",
        "11:05—11:45 圆桌对话 中小企业数字化转型的难点与对策",
        "11:45—12:00 发布 东海省中小企业数字化转型典型案例",
        "主持人：省中小企业服务中心主任 王五",
    ],
)

HARD_NEGATIVES: tuple[Page, ...] = (
    ANTI_GAMBLING_NOTICE, LOTTERY_REPORT, ADULT_EDUCATION_NEWS, WELFARE_POLICY, NAME_LIST,
    TABLE_PAGE, ENQUIRY_NOTICE, AGENDA,
)

# A real article hijacked by a spam sentence and a keyword title (the sentence is cut by the
# cleaner; the page is an article). In the vocabularies above, and in a Traditional mirror.
SPLICED_SENTENCE = "专业办理毕业证学位证，学信网可查，加微信bz98765，电话15912348765。"
HIJACKED_ARTICLES: tuple[Page, ...] = (
    Page(
        "hijacked_digital_policy",
        "办理毕业证_学历认证_数字经济行动方案",
        [*DIGITAL_POLICY[:4], SPLICED_SENTENCE, *DIGITAL_POLICY[4:]],
    ),
    Page(
        "hijacked_seed_mirror/traditional",
        s2t("代孕_试管婴儿包成功_供卵_专精特新中小企业加快颠覆式创新的困境和突破路径"),
        [s2t(p) for p in [*SEED_ARTICLE[:8], SPLICED_SENTENCE, *SEED_ARTICLE[8:16]]],
        {"offsite_link_ratio": 0.3, "hidden_blocks": 2},
    ),
)
