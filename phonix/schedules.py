"""Every periodic job, declared in code; `manage.py setup_periodic_tasks` writes them to Beat.

Times are UTC. Each entry: name → (task path, crontab fields, queue).
"""

SCHEDULES: dict[str, tuple[str, dict, str]] = {
    "reconcile-ledger": (
        "wallet.tasks.ledger_reconcile_task", {"minute": "0", "hour": "2"}, "default",
    ),
}
