"""ISO weeks, the period of weekly bonuses: each is paid once per (member, ISO week)."""

import datetime as dt


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def iso_week_label(monday: dt.date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> dt.date:
    """'2025-W07' → the Monday of that ISO week."""
    return dt.datetime.strptime(text.strip() + "-1", "%G-W%V-%u").date()
