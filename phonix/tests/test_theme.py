import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

CSS = (settings.BASE_DIR / "static" / "phonix.css").read_text()


def _block(selector: str) -> dict[str, str]:
    body = CSS.split(selector + " {", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", body))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_pages_are_dark_by_default_and_light_when_chosen(client):
    assert '<html lang="en" data-bs-theme="dark">' in client.get(reverse("home")).content.decode()

    response = client.post(reverse("theme_set"), {"theme": "light", "next": "/mining/calculator/"})
    assert response.status_code == 302 and response["Location"] == "/mining/calculator/"
    assert response.cookies["phonix_theme"].value == "light"
    assert response.cookies["phonix_theme"]["max-age"] == 365 * 24 * 3600
    assert 'data-bs-theme="light"' in client.get(reverse("home")).content.decode()


def test_an_unknown_theme_or_a_foreign_next_is_ignored(client):
    client.cookies["phonix_theme"] = "neon"
    assert 'data-bs-theme="dark"' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("theme_set"), {"theme": "neon", "next": "https://evil.example/"})
    assert response["Location"] == "/" and "phonix_theme" not in response.cookies


def test_the_switch_offers_the_other_theme(client):
    body = client.get(reverse("home")).content.decode()
    assert 'name="theme" value="light" id="theme-toggle"' in body and "phonix.js" in body


def test_the_brand_colours_and_their_contrast_meet_wcag_aa():
    dark, light = _block('[data-bs-theme="dark"]'), _block(':root, [data-bs-theme="light"]')
    assert dark["--bs-body-bg"] == "#1a1d2e" and light["--phonix-accent"] == "#f7931a"
    white = "#ffffff"
    pairs = [
        (dark["--bs-body-color"], dark["--bs-body-bg"]),  # text
        (dark["--bs-link-color"], dark["--bs-body-bg"]),  # links and the accent as text
        (dark["--phonix-accent-text"], dark["--bs-body-bg"]),
        (dark["--bs-body-color"], dark["--bs-tertiary-bg"]),  # the navbar
        (light["--phonix-on-accent"], light["--phonix-accent"]),  # primary buttons, both themes
        (light["--phonix-on-accent"], light["--phonix-accent-hover"]),
        (light["--bs-link-color"], white),
        (light["--phonix-accent-text"], white),
    ]
    for foreground, background in pairs:
        assert _contrast(foreground, background) >= 4.5, (foreground, background)


def test_nothing_is_loaded_from_another_site(client):
    body = client.get(reverse("home")).content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_progress_bars_are_drawn_by_the_stylesheet_not_the_browser():
    """Chromium draws a dark track for a light accent colour, so an empty bar looked full."""
    bars = CSS.split("progress.cap-progress, progress.mining-progress {", 1)[1].split("}", 1)[0]
    assert "appearance: none" in bars and "var(--bs-secondary-bg)" in bars
    assert "accent-color" not in CSS
    value = CSS.split("progress.cap-progress::-webkit-progress-value", 1)[1].split("}", 1)[0]
    assert "var(--phonix-accent)" in value
