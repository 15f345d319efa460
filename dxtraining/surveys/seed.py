"""The default pre/post questionnaire pair of the DX awareness course, in Japanese and English."""

from __future__ import annotations

from sqlalchemy import select

from ..courses.models import Course
from ..extensions import db
from .models import Question, QuestionKind, Questionnaire, SurveyKind, SurveySection

AGREE = [
    {"label": "とてもそう思う", "label_en": "Strongly agree"},
    {"label": "そう思う", "label_en": "Agree"},
    {"label": "どちらともいえない", "label_en": "Neither agree nor disagree"},
    {"label": "そう思わない", "label_en": "Disagree"},
    {"label": "まったくそう思わない", "label_en": "Strongly disagree"},
]
SATISFIED = [
    {"label": "満足", "label_en": "Satisfied"},
    {"label": "やや満足", "label_en": "Somewhat satisfied"},
    {"label": "どちらともいえない", "label_en": "Neutral"},
    {"label": "やや不満", "label_en": "Somewhat dissatisfied"},
    {"label": "不満", "label_en": "Dissatisfied"},
]
# The awareness items asked before and after, compared by key.
AWARENESS = [
    ("understanding", "DXとは何かを説明できる", "I can explain what DX is"),
    ("why_now", "なぜ今DXが求められているのかを理解している", "I understand why DX is needed now"),
    (
        "own_work",
        "自分の業務でDXとして取り組めることを思い浮かべられる",
        "I can think of things in my own work that DX could change",
    ),
    ("first_step", "DXに向けて最初の一歩を踏み出す自信がある", "I feel confident taking a first step towards DX"),
]


def _awareness_section(questionnaire: Questionnaire) -> SurveySection:
    section = SurveySection(title="DXについての意識", title_en="Your view of DX", position=0)
    for position, (key, text, text_en) in enumerate(AWARENESS):
        section.questions.append(
            Question(
                kind=QuestionKind.rating,
                text=text,
                text_en=text_en,
                required=True,
                awareness_key=key,
                options=AGREE,
                position=position,
                help="いまのご自身に最も近いものを選んでください。",
                help_en="Choose what fits you best today.",
            )
        )
    return section


def load_questionnaires(course: Course) -> None:
    """Create the pre and post questionnaires of a course if it has none (idempotent)."""
    existing = set(db.session.scalars(select(Questionnaire.kind).where(Questionnaire.course_id == course.id)))
    if SurveyKind.pre not in existing:
        pre = Questionnaire(
            course_id=course.id,
            kind=SurveyKind.pre,
            title="事前アンケート",
            title_en="Before the training",
            intro="研修の前に、DXについての今のお考えを教えてください。",
            intro_en="Before the training, tell us how you see DX today.",
            anonymous=True,
        )
        pre.sections.append(_awareness_section(pre))
        about = SurveySection(title="これまでの経験と期待", title_en="Experience and expectations", position=1)
        about.questions += [
            Question(
                kind=QuestionKind.single,
                text="DXに関する研修を受けたことがありますか",
                position=0,
                text_en="Have you attended training on DX before?",
                required=True,
                options=[
                    {"value": "none", "label": "ない", "label_en": "Never"},
                    {"value": "once", "label": "1回ある", "label_en": "Once"},
                    {"value": "more", "label": "2回以上ある", "label_en": "Twice or more"},
                ],
            ),
            Question(
                kind=QuestionKind.long_text,
                text="研修で特に知りたいこと",
                text_en="What you most want to learn",
                position=1,
                max_length=1000,
            ),
        ]
        pre.sections.append(about)
        db.session.add(pre)
    if SurveyKind.post not in existing:
        post = Questionnaire(
            course_id=course.id,
            kind=SurveyKind.post,
            title="事後アンケート",
            title_en="After the training",
            intro="ご参加ありがとうございました。研修を終えた今のお考えを教えてください。",
            intro_en="Thank you for taking part. Tell us how you see DX now.",
            anonymous=True,
            open_days=14,
            remind_days_before_close=3,
        )
        post.sections.append(_awareness_section(post))
        rating = SurveySection(title="研修の評価", title_en="The training", position=1)
        rating.questions += [
            Question(
                kind=QuestionKind.grid,
                text="研修の満足度",
                text_en="How satisfied were you with…",
                required=True,
                options=SATISFIED,
                position=0,
                rows=[
                    {"key": "content", "label": "内容", "label_en": "the content"},
                    {"key": "instructor", "label": "講師", "label_en": "the instructor"},
                    {"key": "format", "label": "形式（集合・オンライン）", "label_en": "the format"},
                    {"key": "length", "label": "時間の長さ", "label_en": "the length"},
                ],
            ),
            Question(
                kind=QuestionKind.multiple,
                text="特に役に立った内容（複数選択可）",
                text_en="Which parts were most useful? (choose any)",
                position=1,
                allow_other=True,
                options=[
                    {"value": "basics", "label": "DXの基礎知識", "label_en": "DX basics"},
                    {"value": "government", "label": "行政におけるDX", "label_en": "DX in government"},
                    {"value": "cases", "label": "他自治体の事例", "label_en": "Other municipalities' cases"},
                ],
            ),
            Question(
                kind=QuestionKind.number,
                text="職場で研修内容を共有したいと思う人数",
                text_en="How many colleagues would you like to share this with?",
                position=2,
                min_value=0,
                max_value=500,
            ),
            Question(
                kind=QuestionKind.long_text, text="ご意見・ご感想", text_en="Comments", position=3, max_length=2000
            ),
        ]
        post.sections.append(rating)
        db.session.add(post)
    db.session.commit()
