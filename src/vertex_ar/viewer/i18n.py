"""The viewer's languages: English and Russian, picked from the browser's Accept-Language.

Every string of the page is here, the ones the server writes into the HTML and the ones the
script shows later (handed to it in the page's config), so the page speaks one language.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT: Final = "en"

STRINGS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "start_text": "Tap Start, then point the camera at the print.",
        "start": "Start",
        "retry": "Try AR again",
        "hint": "Point the camera at the image",
        "tap_for_sound": "Tap for sound",
        "sound_on": "Sound on",
        "camera": "Camera",
        "tap_to_play": "Tap to play",
        "starting_title": "Starting…",
        "starting_text": "Getting the camera and the video ready.",
        "noscript_title": "JavaScript is off",
        "noscript_text": "This AR experience needs JavaScript. Turn it on in the browser settings "
        "and reload.",
        "old_browser_title": "Please update your browser",
        "old_browser_text": "This AR experience needs a recent browser: iOS 16.4 or newer, or a "
        "current Chrome, Safari or Firefox.",
        "stuck_title": "The viewer could not start",
        "stuck_text": "Check your internet connection and reload the page.",
        "fallback_no-webgl": "This browser cannot show AR (3D graphics are off or unsupported), "
        "so here is the video.",
        "fallback_insecure": "The camera only works on the secure (https) link, so here is the "
        "video.",
        "fallback_no-camera": "No camera was found, so here is the video.",
        "fallback_camera-denied": "Without camera access AR cannot start, so here is the video. "
        "The camera is only used to find the print; nothing is recorded.",
        "fallback_camera-busy": "The camera is busy in another app, so here is the video.",
        "fallback_timeout": "AR is taking too long to start on this device, so here is the video.",
        "fallback_webgl-lost": "The 3D graphics stopped on this device, so here is the video.",
        "fallback_error": "AR could not start, so here is the video.",
        "qr_alt": "QR code of this page",
        "qr_text": "On a computer? Scan this code with your phone's camera and point the phone "
        "at the print.",
        "inapp_title": "Open in your browser",
        "inapp_text": "The browser inside {app} cannot use the camera for AR. Open this link in "
        "Safari or Chrome: tap the ⋯ menu and choose “Open in browser”, or copy the link and "
        "paste it there.",
        "inapp_link_label": "Link",
        "inapp_copy": "Copy link",
        "inapp_copied": "Link copied. Paste it into Safari or Chrome.",
        "inapp_chrome": "Open in Chrome",
        "inapp_continue": "Continue here anyway",
    },
    "ru": {
        "start_text": "Нажмите «Начать» и наведите камеру на изображение.",
        "start": "Начать",
        "retry": "Попробовать AR снова",
        "hint": "Наведите камеру на изображение",
        "tap_for_sound": "Включить звук",
        "sound_on": "Звук включён",
        "camera": "Камера",
        "tap_to_play": "Нажмите, чтобы воспроизвести",
        "starting_title": "Запуск…",
        "starting_text": "Готовим камеру и видео.",
        "noscript_title": "JavaScript выключен",
        "noscript_text": "Для AR нужен JavaScript. Включите его в настройках браузера и "
        "перезагрузите страницу.",
        "old_browser_title": "Обновите браузер",
        "old_browser_text": "Для AR нужен современный браузер: iOS 16.4 или новее, либо свежий "
        "Chrome, Safari или Firefox.",
        "stuck_title": "Просмотр не запустился",
        "stuck_text": "Проверьте подключение к интернету и перезагрузите страницу.",
        "fallback_no-webgl": "Этот браузер не может показать AR (3D-графика выключена или не "
        "поддерживается), поэтому вот видео.",
        "fallback_insecure": "Камера работает только по защищённой (https) ссылке, поэтому вот "
        "видео.",
        "fallback_no-camera": "Камера не найдена, поэтому вот видео.",
        "fallback_camera-denied": "Без доступа к камере AR не запустится, поэтому вот видео. "
        "Камера нужна только чтобы найти изображение; ничего не записывается.",
        "fallback_camera-busy": "Камера занята другим приложением, поэтому вот видео.",
        "fallback_timeout": "AR слишком долго запускается на этом устройстве, поэтому вот видео.",
        "fallback_webgl-lost": "3D-графика на этом устройстве остановилась, поэтому вот видео.",
        "fallback_error": "AR не удалось запустить, поэтому вот видео.",
        "qr_alt": "QR-код этой страницы",
        "qr_text": "Вы за компьютером? Отсканируйте этот код камерой телефона и наведите "
        "телефон на изображение.",
        "inapp_title": "Откройте в браузере",
        "inapp_text": "Встроенный браузер {app} не может использовать камеру для AR. Откройте "
        "ссылку в Safari или Chrome: нажмите меню ⋯ и выберите «Открыть в браузере» или "
        "скопируйте ссылку и вставьте её туда.",
        "inapp_link_label": "Ссылка",
        "inapp_copy": "Скопировать ссылку",
        "inapp_copied": "Ссылка скопирована. Вставьте её в Safari или Chrome.",
        "inapp_chrome": "Открыть в Chrome",
        "inapp_continue": "Всё равно продолжить здесь",
    },
}


def pick_language(accept_language: str | None) -> str:
    """The best of our languages in an Accept-Language header (`ru-RU,ru;q=0.9,en;q=0.8`)."""
    best, best_quality = DEFAULT, 0.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        language = tag.strip().split("-")[0].lower()
        quality = 1.0
        param = params.strip().replace(" ", "")
        if param.startswith("q="):
            try:
                quality = float(param[2:])
            except ValueError:
                continue
        if language in STRINGS and quality > best_quality:
            best, best_quality = language, quality
    return best


# The message pages (404, 410, not ready...) in Russian, keyed by their English title and text
# (viewer.pages); a text not listed stays English.
MESSAGES_RU: Final[dict[str, str]] = {
    "Nothing here": "Здесь ничего нет",
    "This AR link does not lead to anything. Check that the whole code was scanned, or ask "
    "whoever gave you the print for a new link.": "Эта AR-ссылка никуда не ведёт. Проверьте, что "
    "код отсканирован целиком, или попросите новую ссылку у того, кто дал вам изображение.",
    "This AR experience has ended": "Этот AR-просмотр завершён",
    "Its owner has switched it off. The print is still yours to keep.": "Владелец его "
    "отключил. Изображение остаётся у вас.",
    "This AR experience has expired": "Срок этого AR-просмотра истёк",
    "It was available until {until}. The print is still yours to keep.": "Он был доступен до "
    "{until}. Изображение остаётся у вас.",
    "Almost ready": "Почти готово",
    "The AR experience for this print is still being prepared. This page reloads by itself.": ""
    "AR для этого изображения ещё готовится. Страница обновится сама.",
    "Not ready yet": "Ещё не готово",
    "The AR experience for this print could not be prepared yet. Please try again later.": ""
    "AR для этого изображения пока не удалось подготовить. Попробуйте позже.",
    "No video has been added to this print yet. Please try again later.": "К этому "
    "изображению ещё не добавлено видео. Попробуйте позже.",
    "The video for this print is being prepared for phones. This page reloads by itself.": ""
    "Видео для этого изображения готовится для телефонов. Страница обновится сама.",
    "The video for this print could not be prepared for phones. Please try again later.": ""
    "Видео для этого изображения не удалось подготовить для телефонов. Попробуйте позже.",
    "Too many requests": "Слишком много запросов",
    "Please wait a moment, then reload the page.": "Подождите немного и перезагрузите страницу.",
    "Viewer unavailable": "Просмотр недоступен",
    "The AR viewer is not installed on this server yet. Please try again later.": "AR-просмотр "
    "ещё не установлен на этом сервере. Попробуйте позже.",
    "Something went wrong": "Что-то пошло не так",
    "The AR experience cannot be shown right now. Please try again in a moment.": "AR сейчас "
    "нельзя показать. Попробуйте через минуту.",
}


# Apps whose built-in browsers (web views) give a page no camera, or no reliable one.
_IN_APP: Final = (
    ("Instagram", re.compile(r"\bInstagram\b")),
    ("Facebook", re.compile(r"\bFBAN/|\bFBAV/|\bFB_IAB/|\bFBIOS\b")),
    ("Telegram", re.compile(r"Telegram", re.IGNORECASE)),
    ("WhatsApp", re.compile(r"WhatsApp", re.IGNORECASE)),
    ("VK", re.compile(r"VKClient|VKAndroidApp|com\.vk\.|\bVK/", re.IGNORECASE)),
    ("TikTok", re.compile(r"musical_ly|TikTok|BytedanceWebview|\btrill_", re.IGNORECASE)),
)


def in_app_browser(user_agent: str | None) -> str | None:
    """The app whose built-in browser sent this User-Agent, if it is one we know."""
    for app, pattern in _IN_APP:
        if pattern.search(user_agent or ""):
            return app
    return None
