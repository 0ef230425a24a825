"""Every string a member or staff member can read has its Chinese translation, compiled.

The catalogue is extracted from a copy of the sources, so the test fails on a new string that
nobody translated, a translation left fuzzy by `makemessages`, or a .mo older than its .po.
"""

import shutil
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
SKIPPED_DIRS = {".venv", "node_modules", ".data", ".git", ".screenshots", "static", "bench", "scripts"}


def _open_entries(po: polib.POFile) -> list[str]:
    return [entry.msgid for entry in po if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)]


def test_the_committed_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert _open_entries(po) == []
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
                for entry in polib.mofile(str(CATALOGUE / "django.mo"))}
    wanted = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
              for entry in po if not entry.obsolete and entry.msgid}
    stale = {key for key, text in wanted.items() if compiled.get(key) != text}
    assert not stale, f"django.mo is older than django.po (run msgfmt): {sorted(stale)[:5]}"


def test_every_string_in_the_sources_is_in_the_catalogue(tmp_path, settings, monkeypatch):
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(base, copy, ignore=lambda folder, names: [n for n in names if n in SKIPPED_DIRS])
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    po = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert _open_entries(po) == [], "new strings need a translation: run `make messages` and translate them"
