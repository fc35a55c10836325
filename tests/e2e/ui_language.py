"""One language per page: a Japanese page shows no English UI text, an English page no Japanese
UI text (issue 17). It extends the catalogue check (tests/core/test_i18n.py), which only sees
strings that went through gettext, to what the browser shows: raw codes, strings built in Python
without gettext, text written into templates.

The page's visible text elements are read (navigation, headings, labels, legends, buttons, table
cells, lists, paragraphs, hints, errors, flash messages, badges, options). User content is left
out where the page says so (an element with another
`lang`, code and preformatted text, form values, `translate="no"` as on names), and by what it looks
like: on Japanese pages e-mail addresses, URLs and the abbreviations the city writes in Latin
letters; on English pages Japanese text that is not one of the Japanese catalogue's strings
(the plan's names, titles typed by staff).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "translations/ja/LC_MESSAGES/messages.po"

COLLECT = """
(language) => {
  const chrome = 'header nav, footer, h1, h2, h3, h4, h5, h6, label, legend, button, th, '
    + 'caption, summary, dt, dd, td, li, p, .hint, .error-message, .error-summary, .flash, '
    + '.badge, option, .button';
  const skipped = '[translate=no], code, kbd, samp, pre, textarea, script, style';
  const texts = [];
  for (const element of document.querySelectorAll(chrome)) {
    if (element.closest(skipped)) continue;
    if (element.tagName !== 'OPTION' && !element.checkVisibility()) continue;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let text = '';
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      // Text of a nested chrome element is read with that element, once.
      if (parent !== element && parent.closest(chrome) !== element) continue;
      if (parent.closest(skipped)) continue;
      const marked = parent.closest('[lang]');
      if (marked && marked.getAttribute('lang') !== language) continue;
      text += walker.currentNode.textContent + ' ';
    }
    text = text.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  for (const input of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (input.value) texts.push(input.value);
  }
  return texts;
}
"""

# Written in Latin letters on the city's Japanese pages too.
LATIN_IN_JAPANESE = {
    "PDF", "CSV", "XLSX", "JSON", "HTML", "API", "PI", "NPO", "CMS", "SVG", "Office", "MB", "KB",
    "ID", "CC", "BY", "SHA", "iCalendar", "ics", "Atom", "HP", "OpenAPI", "JST", "URL", "QR", "SNS",
    "JIS", "WCAG", "AA",  # standards and their levels are named in Latin letters
    "English",  # a language is named in its own language (the switch, the profile's choice)
}  # fmt: skip
# ASCII classes only: in Python's \w, Japanese letters are word characters too.
ADDRESS = re.compile(r"[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+|https?://[!-~]+|/[A-Za-z0-9_./?=&%-]*")
# Receipt numbers and codes: PC-2024-000123, C2024-0001, x0 …
CODE = re.compile(r"(?<![A-Za-z])[A-Za-z]{0,4}-?[0-9][A-Za-z0-9-]*")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff10-\uff5a々〆]+")


@cache
def japanese_ui_strings() -> tuple[set[str], list[re.Pattern[str]]]:
    """The Japanese catalogue's strings: whole ones, and patterns for those with placeholders."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    plain: set[str] = set()
    patterns = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if not string or not JAPANESE.search(string):
                continue
            if "%(" in string or "%d" in string:
                parts = re.split(r"%\(\w+\)[sd]|%d", string)
                # 「%(count)s件」 would match any word ending in 件 (案件): too little to go on.
                if sum(len(p) for p in parts) >= 4:
                    patterns.append(re.compile(".+?".join(re.escape(p) for p in parts)))
            else:
                plain.add(string)
    return plain, patterns


def slips_in(texts: list[str], language: str) -> list[str]:
    """The texts that speak the other language."""
    found = []
    for text in texts:
        if language == "ja":
            rest = CODE.sub(" ", ADDRESS.sub(" ", text))
            words = [w for w in LATIN_WORD.findall(rest) if w not in LATIN_IN_JAPANESE]
            if words:
                found.append(text)
        elif JAPANESE.search(text) and _is_japanese_ui(text):
            found.append(text)
    return sorted(set(found))


def _is_japanese_ui(text: str) -> bool:
    """Japanese on an English page is a slip when the Japanese catalogue wrote it (a string
    rendered in the wrong language); otherwise it is content without an English version."""
    plain, patterns = japanese_ui_strings()
    for run in re.findall(r"[^\sA-Za-z0-9:;,.()/-][^A-Za-z]*", text):
        run = run.strip(" :：")
        if run == "日本語":  # a language is named in its own language
            continue
        if run in plain or any(p.fullmatch(run) for p in patterns):
            return True
    return False


def page_slips(page: Any, language: str) -> list[str]:
    return slips_in(page.evaluate(COLLECT, language), language)
