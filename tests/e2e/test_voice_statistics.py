"""The statistics of the citizens' voice and its annual report in a real browser, on a phone
(390 px) and a desktop (1280 px), in Japanese and English: axe-core finds no violation, the
charts are drawn without JavaScript beside their tables, and no page scrolls sideways."""

from __future__ import annotations

from datetime import date, time

import pytest

from tests.e2e.conftest import visit
from tests.voice.test_activity import add_voice, answered


@pytest.fixture
def voices(app, plan, frozen):
    from app.voice.models import ResponseKind, VoiceChannel, VoiceKind

    frozen.set_jst(date(2026, 6, 1), time(9, 0))
    with app.app_context():
        add_voice(**answered(date(2026, 5, 10), response_kind=ResponseKind.REFLECTED))
        add_voice(channel=VoiceChannel.PHONE, kind=VoiceKind.COMPLAINT)
        add_voice(channel=VoiceChannel.DIALOGUE, kind=VoiceKind.PROPOSAL)


@pytest.mark.parametrize("width", (390, 1280))
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("path", ["/voice/statistics?year=2026", "/voice/report/2026"])
def test_statistics_and_annual_report_pages(page, voices, language, width, path):
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, path, language)
    assert page.locator("svg.chart").count() >= 4
    assert page.locator("table caption").count() == page.locator("svg.chart").count()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
