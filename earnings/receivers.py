"""earnings' part in what other code runs: the generation fan-out after a purchase, the last daily
run in /healthz. EarningsConfig.ready connects these."""

from investment import signals as investment_signals
from phonix import health

from .selectors import daily_income_last_finished
from .tasks import generation_distribute_task


def _generation_distribute(sender: object, *, subscription_id: int, **kwargs: object) -> None:
    # Celery's Django fixup makes every task a DjangoTask; the stubs see shared_task's Task.
    generation_distribute_task.delay_on_commit(subscription_id)  # type: ignore[attr-defined]


def connect() -> None:
    investment_signals.subscription_purchased.connect(_generation_distribute, dispatch_uid="earnings-generation")
    health.fact_add("last_payouts", daily_income_last_finished)
