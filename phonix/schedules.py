"""Every periodic job, declared in code; `manage.py setup_periodic_tasks` writes them to Beat.

Times are UTC. Each entry: name → (task path, crontab fields, queue).
"""

SCHEDULES: dict[str, tuple[str, dict, str]] = {
    "reconcile-ledger": (
        "wallet.tasks.ledger_reconcile_task", {"minute": "0", "hour": "2"}, "default",
    ),
    "refresh-market-data": (
        "mining.tasks.market_data_refresh_task", {"minute": "*/5"}, "default",
    ),
    "generation-income-catch-up": (
        "earnings.tasks.generation_catch_up_task", {"minute": "*"}, "payouts",
    ),
    "pay-daily-income": (
        "earnings.tasks.daily_income_pay_task", {"minute": "0", "hour": "0", "day_of_week": "1-5"}, "payouts",
    ),
    "check-ranks": (
        "ranks.tasks.ranks_check_task", {"minute": "0", "hour": "23", "day_of_week": "0"}, "default",
    ),
    "pay-weekly-bonuses": (
        "ranks.tasks.weekly_bonuses_pay_task", {"minute": "0", "hour": "0", "day_of_week": "1"}, "payouts",
    ),
    "complete-mining-sessions": (
        "mining.tasks.mining_sessions_complete_task", {"minute": "*"}, "payouts",
    ),
    "build-generation-digests": (
        "dashboard.tasks.generation_digest_build_task", {"minute": "10", "hour": "0"}, "default",
    ),
    "prune-notifications": ("dashboard.tasks.notifications_prune_task", {"minute": "30", "hour": "4"}, "default"),
    "scan-deposits": ("wallet.tasks.deposits_scan_task", {"minute": "*"}, "chain"),
    "withdrawals-watchdog": ("wallet.tasks.withdrawals_watchdog_task", {"minute": "*"}, "chain"),
    "refresh-console": ("dashboard.tasks.console_refresh_task", {"minute": "*"}, "default"),
    "prune-task-runs": ("phonix.tasks.task_runs_prune_task", {"minute": "30", "hour": "4"}, "default"),
    "sweep-deposits": ("wallet.tasks.deposits_sweep_task", {"minute": "0", "hour": "3"}, "chain"),
    "advance-sweeps": ("wallet.tasks.sweeps_advance_task", {"minute": "*"}, "chain"),
}
