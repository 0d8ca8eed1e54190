"""The English catalog (telekam/locale/en): complete, compiled, and used by the pages."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from telekam.billing.importers import (
    FIELDS,
    RowErrorCode,
    parse_statement,
    template_csv,
)
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(settings.BASE_DIR) / "telekam" / "locale" / "en" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|%[sd]")
# CJK ideographs and CJK/full-width punctuation (：，（）。、…); English quotes “” are fine.
NOT_ENGLISH = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


# --- a small .po reader -----------------------------------------------------------------


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"'), text
    assert text.endswith('"'), text
    # A .po string is a C string; Python's literal syntax reads it the same way here.
    return ast.literal_eval(text)


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def start(lineno: int) -> Entry:
        nonlocal current
        if current is None:
            current = Entry(line=lineno)
            entries.append(current)
        return current

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            start(lineno).obsolete = True
            continue
        if line.startswith("#,"):
            start(lineno).flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#:"):
            start(lineno).references += [r.rsplit(":", 1)[0] for r in line[2:].split()]
            continue
        if line.startswith("#"):
            start(lineno)
            continue
        entry = start(lineno)
        if line.startswith("msgctxt "):
            entry.msgctxt, target = _unquote(line[8:]), ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            entry.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            entry.msgid, target = _unquote(line[6:]), ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry.msgstr[index], target = _unquote(line[line.index("]") + 1 :]), ("msgstr", index)
        elif line.startswith("msgstr "):
            entry.msgstr[0], target = _unquote(line[7:]), ("msgstr", 0)
        elif line.startswith('"'):
            assert target is not None, f"{path}:{lineno}: continuation without a keyword"
            kind, index = target
            if kind == "msgstr":
                entry.msgstr[index] += _unquote(line)
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + _unquote(line)
            elif kind == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + _unquote(line)
            else:
                entry.msgid += _unquote(line)
        else:
            raise AssertionError(f"{path}:{lineno}: unexpected line {raw!r}")
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return read_po(PO)


@pytest.fixture(scope="module")
def messages(po_entries: list[Entry]) -> list[Entry]:
    return [e for e in po_entries if e.msgid and not e.obsolete]


def _header(po_entries: list[Entry]) -> tuple[Entry, dict[str, str]]:
    header = next(e for e in po_entries if e.msgid == "")
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    return header, fields


# --- (a) the catalog is complete ---------------------------------------------------------


def test_header_is_english_and_not_fuzzy(po_entries: list[Entry]) -> None:
    header, fields = _header(po_entries)
    assert "fuzzy" not in header.flags, "msgfmt skips a fuzzy header"
    assert fields["Language"] == "en"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_message_is_translated(messages: list[Entry]) -> None:
    assert len(messages) > 400
    untranslated = [
        f"line {e.line}: {e.msgid}"
        for e in messages
        if not e.msgstr or any(not s.strip() for s in e.msgstr.values())
    ]
    assert not untranslated, "run makemessages and translate:\n" + "\n".join(untranslated)
    fuzzy = [f"line {e.line}: {e.msgid}" for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, "review and unflag:\n" + "\n".join(fuzzy)
    obsolete = [e.msgid for e in messages if e.obsolete]
    assert not obsolete, "rerun makemessages with --no-obsolete"


def test_plural_messages_have_both_forms(messages: list[Entry]) -> None:
    plurals = [e for e in messages if e.msgid_plural is not None]
    assert plurals
    for e in plurals:
        assert sorted(e.msgstr) == [0, 1], e.msgid
    for e in messages:
        if e.msgid_plural is None:
            assert list(e.msgstr) == [0], e.msgid


def test_translations_keep_placeholders_and_are_english(messages: list[Entry]) -> None:
    problems = []
    for e in messages:
        expected = sorted(PLACEHOLDER.findall(e.msgid))
        for text in e.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {e.msgid!r} -> {text!r}")
            if NOT_ENGLISH.search(text):
                problems.append(f"Chinese text or full-width punctuation: {text!r}")
            if text != text.strip() and not e.msgid.startswith("（") and e.msgctxt is None:
                problems.append(f"stray whitespace: {text!r}")
    assert not problems, "\n".join(problems)


def _translated_in_js_strings() -> set[str]:
    """Msgids of {% translate %} tags written inside a single-quoted JavaScript string,
    e.g. onsubmit="return confirm('{% translate "确定删除？" %}')"."""
    tag = re.compile(r"'\{%\s*translate\s+\"([^\"]+)\"\s*%\}'")
    found: set[str] = set()
    for template in (Path(settings.BASE_DIR) / "telekam").rglob("*.html"):
        found.update(tag.findall(template.read_text(encoding="utf-8")))
    return found


def test_translations_are_safe_in_html(messages: list[Entry]) -> None:
    """{% translate "..." %} returns the translation marked safe (the msgid is a safe
    string), and some of them sit inside attributes or JavaScript strings. So: no markup
    at all, no double quote in a template string, no apostrophe in a JavaScript string."""
    in_js = _translated_in_js_strings()
    assert in_js, "expected the confirm() prompts of the templates"
    problems = []
    for e in messages:
        from_template = any(r.endswith(".html") for r in e.references)
        for text in e.msgstr.values():
            if re.search(r"[<>]", text) and not re.search(r"[<>]", e.msgid):
                problems.append(f"markup: {text!r}")
            if from_template and '"' in text:
                problems.append(f"double quote in a template string: {text!r}")
            if e.msgid in in_js and "'" in text:
                problems.append(f"apostrophe in a JavaScript string: {text!r}")
    assert not problems, "\n".join(problems)


def test_no_typographic_punctuation(messages: list[Entry]) -> None:
    """The font stack puts the CJK fonts first (app.css), and they draw curly quotes,
    apostrophes and the ellipsis full-width: “ ” ‘ ’ … look broken in English text."""
    wide = re.compile("[\u2018\u2019\u201c\u201d\u2026]")
    problems = [t for e in messages for t in e.msgstr.values() if wide.search(t)]
    assert not problems, "\n".join(problems)


# --- (b) the compiled catalog matches the .po ----------------------------------------------


def test_mo_is_compiled_from_the_po(messages: list[Entry]) -> None:
    with MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    assert catalog.info().get("language") == "en"
    stale = []
    for e in messages:
        if e.msgctxt is not None:
            if catalog.pgettext(e.msgctxt, e.msgid) != e.msgstr[0]:
                stale.append(e.msgid)
        elif e.msgid_plural is None:
            if catalog.gettext(e.msgid) != e.msgstr[0]:
                stale.append(e.msgid)
        elif (
            catalog.ngettext(e.msgid, e.msgid_plural, 1) != e.msgstr[0]
            or catalog.ngettext(e.msgid, e.msgid_plural, 2) != e.msgstr[1]
        ):
            stale.append(e.msgid)
    # and nothing in the .mo that the .po has dropped
    in_po = {e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}" for e in messages}
    compiled = catalog._catalog  # type: ignore[attr-defined]
    extra = [k for k in compiled if isinstance(k, str) and k and k not in in_po]
    hint = "django.mo is out of date: run `manage.py compilemessages -l en --ignore=.venv`"
    assert not stale, hint + "\n" + "\n".join(stale)
    assert not extra, hint + "\n" + "\n".join(extra)


# --- (c) the site speaks English when asked ----------------------------------------------


def test_key_strings_translate() -> None:
    with translation.override("en"):
        assert translation.gettext("客户") == "Accounts"
        assert translation.gettext("大客户") == "Key account"
        assert translation.gettext("客户经理") == "Account manager"
        assert translation.ngettext("共 %(n)s 条", "共 %(n)s 条", 1) % {"n": 1} == "1 item"
        assert translation.ngettext("共 %(n)s 条", "共 %(n)s 条", 3) % {"n": 3} == "3 items"
    with translation.override("zh-hans"):
        assert translation.gettext("客户") == "客户"


def test_lazy_labels_follow_the_active_language() -> None:
    from telekam.accounts.models import Account

    label = Account._meta.get_field("code").verbose_name
    with translation.override("en"):
        assert str(label) == "Account code"
    with translation.override("zh-hans"):
        assert str(label) == "客户编码"


def _h1(html: str) -> str:
    match = H1.search(html)
    assert match, "the page has no <h1>"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_accounts_page_in_english_by_cookie(client) -> None:
    user = UserFactory()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _h1(html) == "My accounts"
    assert '<html lang="en">' in html
    assert "我的客户" not in html
    assert "Log out" in html


def test_accounts_page_in_english_by_accept_language(client) -> None:
    user = UserFactory(head=True)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    response = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    h1 = _h1(response.content.decode())
    assert h1 == "Accounts"
    assert not NOT_ENGLISH.search(h1)


def test_accounts_page_stays_chinese_by_default(client) -> None:
    user = UserFactory(head=True)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    response = client.get("/accounts/")
    assert _h1(response.content.decode()) == "客户"


def test_english_billing_template_can_be_imported() -> None:
    """The downloadable template's header is translated; the importer must still read it."""
    with translation.override("en"):
        content = template_csv()
        header = content.decode("utf-8-sig").splitlines()[0]
        assert header == "Account code,Billing month,Product code,Amount"
        parsed = parse_statement(
            file_name="template.csv", content=content, today=dt.date(2026, 11, 1)
        )
    assert set(parsed.columns) == set(FIELDS)
    assert not [
        e
        for e in parsed.errors
        if e.code in (RowErrorCode.MISSING_COLUMN, RowErrorCode.DUPLICATE_COLUMN)
    ]
