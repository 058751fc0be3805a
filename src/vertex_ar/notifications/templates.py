"""Message texts in English and Russian: plain text, the same for email and Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Locale = Literal["en", "ru"]
LOCALES: tuple[Locale, ...] = ("en", "ru")

# Telegram refuses texts over 4096 characters; the inbox and the email keep the whole list.
TELEGRAM_MAX_CHARS = 4000

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "expiry_subject": "Vertex AR: {count} AR item(s) of {company} expire soon",
        "expiry_intro": (
            "These AR items of {company} expire soon. After that their QR codes show "
            '"switched off" until the expiry date is extended.'
        ),
        "expiry_item": "- {title}\n  {link}\n  expires on {date} (in {days} day(s))",
        "expired_subject": (
            "Vertex AR: {count} AR item(s) of {company} expired and were switched off"
        ),
        "expired_intro": (
            "These AR items of {company} have expired and were switched off: their QR codes "
            'show "switched off" now.'
        ),
        "expired_item": "- {title}\n  {link}\n  expired on {date}",
        "customer": "  customer: {contacts}",
        "test_subject": "Vertex AR: test notification for {company}",
        "test_body": (
            "This is a test message from Vertex AR for {company}: notifications reach you here."
        ),
        "truncated": "... the full list is in the notification inbox.",
        "marker_failed_subject": 'Vertex AR: the AR marker of "{title}" ({company}) failed',
        "marker_failed_body": (
            'The AR marker of "{title}" could not be made, so its QR code cannot show the '
            "video.\nReason: {error}\nThe item in the admin: {link}\n"
        ),
        "marker_low_subject": (
            'Vertex AR: the print of "{title}" ({company}) may be hard to detect'
        ),
        "marker_low_body": (
            'The AR marker of "{title}" was made, but its trackability is {score:.0f}/100 '
            "(below {threshold:.0f}): phones may find the print slowly or not at all, and the "
            "video may jitter.\nWhy:\n{reasons}\nA portrait with more contrast and detail "
            "helps. The item in the admin: {link}\n"
        ),
        "marker_low_no_reason": "- the image has too few distinct details overall",
        "storage_subject": "Vertex AR: the media storage of {company} is failing",
        "storage_body": (
            'The storage where {company} keeps its media ("{connection}", {kind}) has been failing '
            "since {since}: new uploads and markers fail, and AR items may not play until it "
            "recovers.\nError: {error}\nYou get one message per outage.\n"
        ),
    },
    "ru": {
        "expiry_subject": "Vertex AR: скоро истекает срок AR-материалов {company} ({count})",
        "expiry_intro": (
            "У этих AR-материалов {company} скоро истекает срок. После этого их QR-коды "
            "будут показывать «отключено», пока срок не продлят."
        ),
        "expiry_item": "- {title}\n  {link}\n  срок до {date} (осталось дней: {days})",
        "expired_subject": "Vertex AR: срок AR-материалов {company} истёк, они отключены ({count})",
        "expired_intro": (
            "Срок этих AR-материалов {company} истёк, и они отключены: их QR-коды "
            "показывают «отключено»."
        ),
        "expired_item": "- {title}\n  {link}\n  срок истёк {date}",
        "customer": "  клиент: {contacts}",
        "test_subject": "Vertex AR: проверка уведомлений для {company}",
        "test_body": (
            "Это проверочное сообщение Vertex AR для {company}: уведомления приходят сюда."
        ),
        "truncated": "... полный список — во входящих уведомлениях.",
        "marker_failed_subject": "Vertex AR: не удалось создать AR-маркер «{title}» ({company})",
        "marker_failed_body": (
            "Не удалось создать AR-маркер «{title}», поэтому его QR-код не может показать "
            "видео.\nПричина: {error}\nМатериал в админке: {link}\n"
        ),
        "marker_low_subject": (
            "Vertex AR: печать «{title}» ({company}) может плохо распознаваться"
        ),
        "marker_low_body": (
            "AR-маркер «{title}» создан, но его оценка распознаваемости {score:.0f}/100 "
            "(ниже {threshold:.0f}): телефоны могут находить печать медленно или не находить "
            "вовсе, а видео может дрожать.\nПочему:\n{reasons}\nПоможет портрет с большим "
            "контрастом и деталями. Материал в админке: {link}\n"
        ),
        "marker_low_no_reason": "- на изображении в целом мало различимых деталей",
        "storage_subject": "Vertex AR: хранилище медиа {company} не работает",
        "storage_body": (
            "Хранилище, где {company} хранит медиа («{connection}», {kind}), не работает "
            "с {since}: новые загрузки и маркеры не проходят, AR-материалы могут не "
            "показываться, пока оно не восстановится.\nОшибка: {error}\n"
            "За один сбой приходит одно сообщение.\n"
        ),
        "reason_low_contrast": "слишком мало контраста: сделайте тёмное темнее, а светлое светлее",
        "reason_few_features": "слишком мало текстуры: добавьте детали — текст, края, узоры",
        "reason_repetitive": "повторяющийся узор: многие точки похожи друг на друга",
        "reason_few_tracking_points": "мало точек для слежения: изображение может дрожать",
        "reason_weak_upper_half": "мало текстуры в верхней половине",
        "reason_weak_lower_half": "мало текстуры в нижней половине",
        "reason_weak_left_half": "мало текстуры в левой половине",
        "reason_weak_right_half": "мало текстуры в правой половине",
        "reason_weak_upper_left_corner": "мало текстуры в левом верхнем углу",
        "reason_weak_upper_right_corner": "мало текстуры в правом верхнем углу",
        "reason_weak_lower_left_corner": "мало текстуры в левом нижнем углу",
        "reason_weak_lower_right_corner": "мало текстуры в правом нижнем углу",
    },
}


@dataclass(frozen=True)
class ItemLine:
    title: str
    link: str
    date: str  # in the company's time zone
    days: int
    contacts: str  # "" when the content names no customer


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def text(locale: str, name: str, **values: object) -> str:
    return _TEXTS[locale if locale in _TEXTS else "en"][name].format(**values)


def _listing(locale: str, company: str, items: Sequence[ItemLine], kind: str) -> Text:
    lines = [text(locale, f"{kind}_intro", company=company), ""]
    for item in items:
        lines.append(
            text(locale, f"{kind}_item", title=item.title, link=item.link, date=item.date,
                 days=item.days)
        )  # fmt: skip
        if item.contacts:
            lines.append(text(locale, "customer", contacts=item.contacts))
    subject = text(locale, f"{kind}_subject", company=company, count=len(items))
    return Text(subject, "\n".join(lines) + "\n")


def expiry_warning(locale: str, company: str, items: Sequence[ItemLine]) -> Text:
    return _listing(locale, company, items, "expiry")


def expired(locale: str, company: str, items: Sequence[ItemLine]) -> Text:
    return _listing(locale, company, items, "expired")


def marker_failed(locale: str, company: str, title: str, error: str, link: str) -> Text:
    return Text(
        text(locale, "marker_failed_subject", company=company, title=title),
        text(locale, "marker_failed_body", title=title, error=error, link=link),
    )


def marker_low(
    locale: str,
    company: str,
    title: str,
    score: float,
    threshold: float,
    reasons: Sequence[tuple[str, str]],
    link: str,
) -> Text:
    """A marker that scored low; `reasons` are the rating's (code, English message) pairs, told
    in Russian where a translation of the code exists."""
    table = _TEXTS[locale if locale in _TEXTS else "en"]
    lines = [f"- {table.get(f'reason_{code}', message)}" for code, message in reasons]
    listed = "\n".join(lines) if lines else text(locale, "marker_low_no_reason")
    return Text(
        text(locale, "marker_low_subject", company=company, title=title),
        text(locale, "marker_low_body", title=title, score=score, threshold=threshold,
             reasons=listed, link=link),
    )  # fmt: skip


def storage_failing(
    locale: str, company: str, name: str, kind: str, since: str, error: str
) -> Text:
    return Text(
        text(locale, "storage_subject", company=company),
        text(locale, "storage_body", company=company, connection=name, kind=kind, since=since,
             error=error),
    )  # fmt: skip


def backup_failed(when: str, error: str) -> Text:
    """To the operators (OPERATOR_EMAILS, ...), in English: no company's language applies."""
    return Text(
        "Vertex AR: a backup failed",
        f"The backup started at {when} failed; no new backup was made, the earlier ones are "
        f"kept.\nError: {error}\nRun `vertex-ar backup create` by hand once the cause is fixed "
        "and `vertex-ar backup list` to see what there is.\n",
    )


def test_message(locale: str, company: str) -> Text:
    return Text(
        text(locale, "test_subject", company=company), text(locale, "test_body", company=company)
    )


def telegram_text(locale: str, message: Text) -> str:
    full = f"{message.subject}\n\n{message.body}"
    if len(full) <= TELEGRAM_MAX_CHARS:
        return full
    tail = "\n" + text(locale, "truncated")
    cut = full[: TELEGRAM_MAX_CHARS - len(tail)]
    return cut[: cut.rfind("\n")] + tail if "\n" in cut else cut + tail
