"""Template context every page needs, read from the request alone (no query)."""

THEME_COOKIE = "phonix_theme"
THEMES = ("dark", "light")
DEFAULT_THEME = "dark"


def theme_from_request(request) -> str:
    value = request.COOKIES.get(THEME_COOKIE, "")
    return value if value in THEMES else DEFAULT_THEME


def theme(request) -> dict:
    """The colour mode for <html data-bs-theme>: the member's choice, dark by default."""
    current = theme_from_request(request)
    return {"theme": current, "theme_other": "light" if current == "dark" else "dark"}
