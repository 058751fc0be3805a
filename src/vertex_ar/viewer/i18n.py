"""The viewer's words in English and Russian, chosen from the browser's Accept-Language."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")


def pick_language(accept_language: str | None) -> Language:
    """The supported language the browser ranks highest (RFC 9110 q-values); English otherwise."""
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            candidate = (quality, -position, primary)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best is not None else "en"


# Page words (server-rendered) and the script's words (sent in the page config), per language.
TEXT: dict[Language, dict[str, str]] = {
    "en": {
        "start": "Start",
        "start_text": "Point your camera at the printed picture to bring it to life.",
        "start_note": "Sound on: the video plays with sound.",
        "loading_title": "Starting…",
        "loading_text": "Getting the camera and the video ready.",
        "hint": "Point the camera at the image",
        "camera_label": "Camera",
        "sound_on": "Sound on",
        "tap_for_sound": "Tap for sound",
        "tap_to_play": "Tap to play",
        "try_again": "Try again",
        "fallback_title": "Here is your video",
        "fallback_no_webgl": "This browser cannot show AR, so the video plays here instead.",
        "fallback_webgl_lost": "The AR view stopped working, so the video plays here instead.",
        "fallback_engine_timeout": "AR is taking too long to start on this phone, so the video "
        "plays here instead.",
        "desktop_title": "Open this on your phone",
        "desktop_text": "Scan the code with your phone's camera, then point the phone at the "
        "print.",
        "desktop_continue": "Continue on this computer",
        "inapp_title": "Open in your browser",
        "inapp_text": "This app's built-in browser cannot run the AR camera. Open the link in "
        "Safari or Chrome: tap ⋯ (or ⋮) and choose “Open in browser”, or copy the link "
        "and paste it there.",
        "copy_link": "Copy link",
        "copied": "Link copied",
        "no_js_title": "JavaScript is off",
        "no_js_text": "This AR experience needs JavaScript. Turn it on in the browser settings "
        "and reload.",
        "update_title": "Please update your browser",
        "update_text": "This AR experience needs a recent browser: iOS 16.4 or newer, or a "
        "current Chrome, Safari or Firefox.",
        "stalled_title": "The viewer could not start",
        "stalled_text": "Check your internet connection and reload the page.",
        "insecure_title": "Camera unavailable on this link",
        "insecure_text": "Browsers only allow the camera on secure (https) pages. Scan the QR "
        "code again to open the secure link.",
        "no-camera_title": "No camera found",
        "no-camera_text": "This experience needs a camera. Open the link on a phone or tablet "
        "with a rear camera.",
        "camera-denied_title": "Camera access needed",
        "camera-denied_text": "The camera is used only to find the print; nothing is recorded. "
        "Allow camera access for this site in the browser settings, then try again.",
        "camera-busy_title": "The camera is busy",
        "camera-busy_text": "Another app is using the camera. Close it, then try again.",
        "error_title": "Something went wrong",
        "error_text": "The viewer could not start. Please reload the page.",
    },
    "ru": {
        "start": "Старт",
        "start_text": "Наведите камеру на напечатанную картинку, и она оживёт.",
        "start_note": "Видео будет со звуком.",
        "loading_title": "Запуск…",
        "loading_text": "Готовим камеру и видео.",
        "hint": "Наведите камеру на изображение",
        "camera_label": "Камера",
        "sound_on": "Звук включён",
        "tap_for_sound": "Нажмите для звука",
        "tap_to_play": "Нажмите, чтобы воспроизвести",
        "try_again": "Попробовать снова",
        "fallback_title": "Ваше видео",
        "fallback_no_webgl": "Этот браузер не поддерживает AR, поэтому видео показано здесь.",
        "fallback_webgl_lost": "AR-режим перестал работать, поэтому видео показано здесь.",
        "fallback_engine_timeout": "AR слишком долго запускается на этом телефоне, поэтому "
        "видео показано здесь.",
        "desktop_title": "Откройте на телефоне",
        "desktop_text": "Отсканируйте код камерой телефона, затем наведите телефон на отпечаток.",
        "desktop_continue": "Продолжить на этом компьютере",
        "inapp_title": "Откройте в браузере",
        "inapp_text": "Встроенный браузер этого приложения не может запустить AR-камеру. "
        "Откройте ссылку в Safari или Chrome: нажмите ⋯ (или ⋮) и выберите «Открыть в "
        "браузере», либо скопируйте ссылку и вставьте её туда.",
        "copy_link": "Скопировать ссылку",
        "copied": "Ссылка скопирована",
        "no_js_title": "JavaScript выключен",
        "no_js_text": "Для AR нужен JavaScript. Включите его в настройках браузера и обновите "
        "страницу.",
        "update_title": "Обновите браузер",
        "update_text": "Для AR нужен современный браузер: iOS 16.4 или новее, либо свежий "
        "Chrome, Safari или Firefox.",
        "stalled_title": "Просмотр не запустился",
        "stalled_text": "Проверьте подключение к интернету и обновите страницу.",
        "insecure_title": "Камера недоступна по этой ссылке",
        "insecure_text": "Браузеры дают доступ к камере только на защищённых (https) "
        "страницах. Отсканируйте QR-код ещё раз.",
        "no-camera_title": "Камера не найдена",
        "no-camera_text": "Нужна камера. Откройте ссылку на телефоне или планшете с задней "
        "камерой.",
        "camera-denied_title": "Нужен доступ к камере",
        "camera-denied_text": "Камера нужна только чтобы найти отпечаток; ничего не "
        "записывается. Разрешите доступ к камере для этого сайта и попробуйте снова.",
        "camera-busy_title": "Камера занята",
        "camera-busy_text": "Камеру использует другое приложение. Закройте его и попробуйте снова.",
        "error_title": "Что-то пошло не так",
        "error_text": "Просмотр не запустился. Обновите страницу.",
    },
}
