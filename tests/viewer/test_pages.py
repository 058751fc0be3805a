"""Failure pages say what happened without leaking server details."""

from __future__ import annotations

from vertex_ar.core.errors import InvalidInput, NotFound, ServiceUnavailable
from vertex_ar.viewer.pages import message_for, message_page
from vertex_ar.viewer.ratelimit import RateLimited
from vertex_ar.viewer.service import Gone, NotReady


def test_messages_for_each_failure() -> None:
    assert message_for(NotFound("x")).status == 404
    expired = message_for(
        Gone("x", details={"reason": "expired", "expired_at": "2026-01-31T10:00"})
    )
    assert (expired.status, expired.state) == (410, "expired")
    assert "2026-01-31" in expired.text
    assert message_for(Gone("x", details={"reason": "inactive"})).state == "inactive"
    assert message_for(RateLimited("x")).status == 429
    pending = message_for(NotReady("x", details={"reason": "marker", "marker_status": "pending"}))
    assert (pending.status, pending.refresh_seconds) == (503, 15)
    failed = message_for(NotReady("x", details={"reason": "marker", "marker_status": "failed"}))
    assert "could not be prepared" in failed.text
    assert "No video" in message_for(NotReady("x", details={"reason": "no_video"})).text


def test_server_errors_do_not_leak_details() -> None:
    error = ServiceUnavailable("media storage is unavailable: s3.internal.example:9000 refused")
    message = message_for(error)
    assert message.status == 503 and "s3.internal" not in message.text
    page = message_page(message)
    assert b"s3.internal" not in page.body
    client_error = message_for(InvalidInput("the <b>link</b> is odd"))
    assert "&lt;b&gt;" in message_page(client_error).body.decode()  # escaped, not markup


def test_messages_in_russian() -> None:
    expired = message_for(Gone("x", details={"reason": "expired", "expired_at": "2026-01-31T10"}))
    page = message_page(expired, lang="ru").body.decode()
    assert '<html lang="ru">' in page
    assert "Срок этого AR-просмотра истёк" in page and "доступен до 2026-01-31" in page
    for error in (NotFound("x"), Gone("x", details={"reason": "inactive"}), RateLimited("x"),
                  NotReady("x", details={"reason": "no_video"}),
                  NotReady("x", details={"reason": "marker", "marker_status": "failed"}),
                  ServiceUnavailable("x")):  # fmt: skip
        english = message_for(error)
        russian = message_page(english, lang="ru").body.decode()
        assert english.title not in russian and english.text not in russian, english
    assert "Nothing here" in message_page(message_for(NotFound("x"))).body.decode()
