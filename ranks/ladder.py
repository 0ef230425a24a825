"""The rank ladder of the compensation plan: main leg ≥ X and other legs ≥ X → weekly bonus."""

from dataclasses import dataclass
from decimal import Decimal

from django_stubs_ext import StrOrPromise

from .models import RankCode

BONUS_WEEKS = 52


@dataclass(frozen=True)
class RankStep:
    code: str
    level: int
    min_volume: Decimal  # required on the main leg and, separately, on the other legs
    weekly_bonus: Decimal

    @property
    def label(self) -> StrOrPromise:
        return RankCode(self.code).label

    @property
    def badge(self) -> str:
        return BADGES[self.code]


LADDER: tuple[RankStep, ...] = (
    RankStep(RankCode.CONNECTOR, 1, Decimal("5000"), Decimal("50")),
    RankStep(RankCode.BUILDER, 2, Decimal("10000"), Decimal("200")),
    RankStep(RankCode.PROFESSIONAL, 3, Decimal("20000"), Decimal("500")),
    RankStep(RankCode.EXECUTIVE, 4, Decimal("50000"), Decimal("1000")),
    RankStep(RankCode.DIRECTOR, 5, Decimal("100000"), Decimal("2000")),
    RankStep(RankCode.CROWN, 6, Decimal("200000"), Decimal("5000")),
)

# Bootstrap colour of each rank's badge.
BADGES: dict[str, str] = {
    RankCode.NONE: "text-bg-secondary",
    RankCode.CONNECTOR: "text-bg-info",
    RankCode.BUILDER: "text-bg-primary",
    RankCode.PROFESSIONAL: "text-bg-success",
    RankCode.EXECUTIVE: "text-bg-warning",
    RankCode.DIRECTOR: "text-bg-danger",
    RankCode.CROWN: "text-bg-dark border border-warning",
}

LEVELS: dict[str, int] = {RankCode.NONE: 0, **{step.code: step.level for step in LADDER}}


def step_for(code: str) -> RankStep | None:
    return next((step for step in LADDER if step.code == code), None)


def next_step(code: str) -> RankStep | None:
    level = LEVELS.get(code, 0)
    return next((step for step in LADDER if step.level > level), None)


def ladder_sql_values() -> tuple[str, list[str | int | Decimal]]:
    """A `VALUES` list of the ladder (code, level, min_volume, weekly_bonus) and its parameters."""
    rows = ", ".join(["(%s::text, %s::int, %s::numeric, %s::numeric)"] * len(LADDER))
    params: list[str | int | Decimal] = []
    for step in LADDER:
        params += [str(step.code), step.level, step.min_volume, step.weekly_bonus]
    return f"(VALUES {rows})", params
