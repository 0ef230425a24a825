from dashboard.tests.browser.conftest import (  # noqa: F401  (the same Chromium set-up)
    browser,
    browser_type,
    browser_type_launch_args,
    playwright,
)
