"""Writes for the mining app: the market data refresh and members' daily mining sessions."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import httpx
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from phonix.exceptions import RateLimited
from phonix.models import StuckItem
from phonix.page_cache import pages_changed
from phonix.sql import SqlParams
from phonix.stuck import stuck_item_clear, stuck_item_record
from wallet.ledger.payouts import ledger_post_payouts, payout_table_create
from wallet.models import AccountCode, LedgerTransaction, Transaction

from . import signals, sources
from .models import CompletionRun, MiningProfile, MiningSession, NetworkSnapshot, Quantity
from .selectors import TICKER_CACHE_KEY
from .sources import SourceError

logger = logging.getLogger(__name__)

T = TypeVar("T")
BUCKET = timedelta(minutes=5)
LAST_KNOWN = "last known"
# A parser that meets a shape nobody documented may raise any of these; all mean "garbage".
GARBAGE = (SourceError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError, httpx.HTTPError)


@dataclass
class RefreshReport:
    snapshot: NetworkSnapshot | None
    live: dict[str, str] = field(default_factory=dict)  # quantity → source that answered
    stale: list[str] = field(default_factory=list)  # carried over from an earlier snapshot
    missing: list[str] = field(default_factory=list)  # never known at all
    errors: list[str] = field(default_factory=list)
    ticker_coins: int = 0

    @property
    def ok(self) -> bool:
        return not self.stale and not self.missing

    def summary(self) -> str:
        live = " ".join(f"{q}={s}" for q, s in self.live.items()) or "none"
        text = f"market data: live {live}; ticker {self.ticker_coins} coins"
        if self.stale:
            text += f"; stale {','.join(self.stale)}"
        if self.missing:
            text += f"; missing {','.join(self.missing)}"
        return text


def ticker_coin_ids() -> list[tuple[str, str]]:
    pairs = []
    for item in settings.MARKET_TICKER_COINS:
        coin_id, _, symbol = item.partition(":")
        pairs.append((coin_id.strip(), (symbol or coin_id).strip().upper()))
    if not any(coin_id == "bitcoin" for coin_id, _ in pairs):
        pairs.insert(0, ("bitcoin", "BTC"))
    return pairs


def _bucket(moment: datetime) -> datetime:
    seconds = int(BUCKET.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


def market_data_refresh(*, now: datetime | None = None) -> RefreshReport:
    """Fetch price, difficulty, hashrate, fees and height, each from the first source that answers.

    A quantity no source gives is carried over from the latest snapshot and marked stale; the
    snapshot for this 5-minute slot is written with one upsert, so a second run in the same slot
    (or a run in another worker) rewrites it rather than adding a row. The price ticker is kept
    in the cache; when CoinGecko fails it keeps the previous list, which the page shows with its age.
    """
    now = now or timezone.now()
    report = RefreshReport(snapshot=None)
    coins = ticker_coin_ids()
    with sources.http_client() as client:

        def once(fetch: Callable[[httpx.Client], T]) -> Callable[[], T]:
            # Several quantities come from one endpoint: ask it once per refresh, remember failures too.
            answer: list[T | Exception] = []  # empty until asked

            def get() -> T:
                if not answer:
                    try:
                        answer.append(fetch(client))
                    except GARBAGE as error:
                        answer.append(error)
                if isinstance(answer[0], Exception):
                    raise answer[0]
                return answer[0]
            return get

        prices = once(lambda c: sources.coingecko_prices(c, coin_ids=[i for i, _ in coins]))
        hashrate = once(sources.mempool_hashrate)

        def bitcoin() -> sources.CoinPrice:
            row = prices().get("bitcoin")
            if row is None:
                raise SourceError("coingecko: no bitcoin price")
            return row

        chains: dict[str, list[tuple[str, Callable[[], object]]]] = {
            Quantity.PRICE: [("coingecko", bitcoin)],
            Quantity.DIFFICULTY: [
                ("mempool.space", lambda: hashrate().difficulty),
                ("blockchain.info", once(sources.blockchain_info_difficulty)),
            ],
            Quantity.HASHRATE: [
                ("mempool.space", lambda: hashrate().hashrate_hs),
                ("blockchain.info", once(sources.blockchain_info_hashrate)),
            ],
            Quantity.FEES: [("mempool.space", once(sources.mempool_fees))],
            Quantity.HEIGHT: [
                ("mempool.space", once(sources.mempool_height)),
                ("blockchain.info", once(sources.blockchain_info_height)),
            ],
            Quantity.ADJUSTMENT: [
                ("mempool.space", once(sources.mempool_difficulty_adjustment)),
            ],
        }
        live: dict[str, object] = {}
        for quantity, chain in chains.items():
            for source_name, get in chain:
                try:
                    live[quantity] = get()
                except GARBAGE as error:
                    report.errors.append(f"{quantity} from {source_name}: {error}")
                    continue
                report.live[quantity] = source_name
                break
        try:
            report.ticker_coins = _ticker_store(prices(), coins=coins, now=now)
        except GARBAGE:
            pass  # the previous list stays in the cache and is shown with its age

    for line in report.errors:
        logger.warning("market data source failed: %s", line)
    report.snapshot = _snapshot_store(live=live, report=report, now=now)
    if report.snapshot is not None:
        _history_cache_refresh()
    return report


def _history_cache_refresh() -> None:
    from .selectors import HISTORY_CACHE_KEY, HISTORY_CACHE_S, HISTORY_DAYS, market_history

    cache.set(HISTORY_CACHE_KEY, market_history(days=HISTORY_DAYS), timeout=HISTORY_CACHE_S)


def _snapshot_store(*, live: dict[str, object], report: RefreshReport, now: datetime) -> NetworkSnapshot | None:
    previous = NetworkSnapshot.objects.order_by("-bucket").first()
    values: dict[str, object] = {}
    sources_used: dict[str, str] = {}
    as_of: dict[str, str] = {}
    stale: list[str] = []
    fields = {
        Quantity.PRICE: ("btc_price_usd", "btc_change_24h_pct"),
        Quantity.DIFFICULTY: ("difficulty",),
        Quantity.HASHRATE: ("network_hashrate",),
        Quantity.FEES: ("avg_fees_btc",),
        Quantity.HEIGHT: ("height",),
        Quantity.ADJUSTMENT: ("next_difficulty_change_pct",),
    }
    for quantity, names in fields.items():
        if quantity in live:
            values.update(_columns(quantity, live[quantity]))
            sources_used[quantity] = report.live[quantity]
            as_of[quantity] = now.isoformat()
        elif previous is not None and getattr(previous, names[0]) is not None:
            values.update({name: getattr(previous, name) for name in names})
            sources_used[quantity] = previous.sources.get(quantity, LAST_KNOWN)
            as_of[quantity] = previous.as_of.get(quantity, previous.fetched_at.isoformat())
            stale.append(quantity)
        else:
            values.update({name: None for name in names})
            report.missing.append(quantity)
    report.stale = stale
    if not sources_used:
        return None  # nothing ever known: keep no empty row
    snapshot = NetworkSnapshot(
        bucket=_bucket(now), fetched_at=now, sources=sources_used, as_of=as_of, stale=stale, **values,
    )
    update_fields = [f.name for f in NetworkSnapshot._meta.concrete_fields if f.name not in ("id", "bucket")]
    NetworkSnapshot.objects.bulk_create(
        [snapshot], update_conflicts=True, unique_fields=["bucket"], update_fields=update_fields,
    )
    return snapshot


def _columns(quantity: str, value) -> dict[str, object]:
    six = Decimal("0.000001")
    if quantity == Quantity.PRICE:
        change = value.change_24h_pct
        return {"btc_price_usd": value.usd.quantize(six),
                "btc_change_24h_pct": change.quantize(six) if change is not None else None}
    if quantity == Quantity.DIFFICULTY:
        return {"difficulty": value.quantize(six)}
    if quantity == Quantity.HASHRATE:
        return {"network_hashrate": value}
    if quantity == Quantity.FEES:
        return {"avg_fees_btc": value}
    if quantity == Quantity.HEIGHT:
        return {"height": value}
    return {"next_difficulty_change_pct": value.change_pct}


def _ticker_store(prices: dict, *, coins: list[tuple[str, str]], now: datetime) -> int:
    rows = [
        {"id": coin_id, "symbol": symbol, "usd": prices[coin_id].usd, "change_24h_pct": prices[coin_id].change_24h_pct}
        for coin_id, symbol in coins if coin_id in prices
    ]
    # No expiry: when CoinGecko is down the last list stays and is shown with its age.
    cache.set(TICKER_CACHE_KEY, {"fetched_at": now, "coins": rows}, timeout=None)
    pages_changed()  # every page shows the ticker, and no table of it tells the page cache
    return len(rows)


# Daily mining sessions ------------------------------------------------------------------------

COMPLETION_JOB = "mining_sessions_complete"
START_WINDOW_S = 60


@dataclass(frozen=True)
class SessionStart:
    session: MiningSession
    created: bool  # False: a session was already running (a double click, a second tab)


def _start_rate_limit(*, user_id: int) -> None:
    """At most MINING_STARTS_PER_MINUTE start requests per member, counted in Redis across processes."""
    key = f"mining:start:{user_id}"
    cache.add(key, 0, timeout=START_WINDOW_S)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.add(key, 1, timeout=START_WINDOW_S)
        count = 1
    if count > settings.MINING_STARTS_PER_MINUTE:
        raise RateLimited(_("Too many attempts to start mining. Please wait a minute and try again."))


def mining_session_start(*, user: User) -> SessionStart:
    """Start the member's mining session, or return the one already running.

    A session that has ended but that the completion job has not reached yet is completed first,
    so the member never waits for the next minute. The partial unique index on running sessions
    decides a race between two clicks: the second insert does nothing and finds the first.
    """
    from investment.selectors import plan_current

    _start_rate_limit(user_id=user.pk)
    with transaction.atomic():
        now = timezone.now()
        mining_sessions_complete(user_id=user.pk, now=now)
        plan = plan_current()
        MiningProfile.objects.get_or_create(user_id=user.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO mining_miningsession
                    (user_id, plan_version_id, started_at, ends_at, outcome, reward)
                VALUES (%s, %s, %s, %s, '', 0)
                ON CONFLICT (user_id) WHERE completed_at IS NULL DO NOTHING
                RETURNING id
                """,
                [user.pk, plan.pk, now, now + timedelta(hours=plan.mining_session_hours)],
            )
            created = cursor.fetchone() is not None
        session = MiningSession.objects.get(user_id=user.pk, completed_at__isnull=True)
    return SessionStart(session=session, created=created)


def mining_reminder_set(*, user: User, enabled: bool) -> MiningProfile:
    profile, _created = MiningProfile.objects.update_or_create(user_id=user.pk,
                                                               defaults={"email_reminder": enabled})
    return profile


@dataclass
class CompletionResult:
    dry_run: bool = False
    completed: int = 0
    rewarded: int = 0
    rewarded_total: Decimal = Decimal(0)
    stuck: list[int] = field(default_factory=list)

    def add(self, batch: "BatchOutcome") -> None:
        """Count a batch once its transaction has ended (committed, or rolled back by a dry run)."""
        self.completed += batch.completed
        self.rewarded += batch.rewarded
        self.rewarded_total += batch.rewarded_total

    def summary(self) -> str:
        prefix = "DRY RUN — would complete" if self.dry_run else "completed"
        text = (f"{prefix} {self.completed} mining sessions, {self.rewarded} free rewards, "
                f"{self.rewarded_total} USDT")
        return text + (f", {len(self.stuck)} stuck" if self.stuck else "")


def mining_sessions_complete(*, now: datetime | None = None, dry_run: bool = False, batch_size: int = 50_000,
                             user_id: int | None = None,
                             progress: Callable[[int], object] | None = None) -> CompletionResult:
    """Complete every session that has ended: outcome, free reward, streak, reminder — once each.

    Set-based, in batches of sessions (each batch one transaction of a few statements). A session
    is claimed by a conditional UPDATE of its `completed_at` over rows locked with SKIP LOCKED, so
    two runs at once share the work and never complete a session twice; the ledger key
    `mining:<id>` makes the reward once as well. A batch that fails is done again session by
    session, so one bad session is recorded as stuck and cannot hold back the others; stuck
    sessions are left out of the batches and retried alone at the end of every run.
    """
    now = now or timezone.now()
    result = CompletionResult(dry_run=dry_run)
    after = 0
    while True:
        try:
            with transaction.atomic():
                batch = _complete_batch(now=now, after=after, limit=batch_size, user_id=user_id)
                if dry_run:
                    transaction.set_rollback(True)
            result.add(batch)
            count, last_id = batch.completed, batch.last_id
        except SoftTimeLimitExceeded:
            raise  # the next run goes on from here
        except Exception:  # noqa: BLE001 — which session failed is found below, one at a time
            count, last_id = _complete_one_by_one(result, now=now, after=after, limit=batch_size,
                                                  user_id=user_id, dry_run=dry_run)
        if not count:
            break
        after = last_id
        if progress:
            progress(count)
    tried = set(result.stuck)  # failed alone already in this run
    stuck = StuckItem.objects.filter(job=COMPLETION_JOB).values_list("item_id", flat=True)
    stuck_ids = [int(item_id) for item_id in stuck if int(item_id) not in tried]
    if user_id is not None:
        stuck_ids = list(MiningSession.objects.filter(pk__in=stuck_ids, user_id=user_id).values_list("pk", flat=True))
    for session_id in stuck_ids:
        _complete_alone(result, now=now, session_id=session_id, dry_run=dry_run)
    if not dry_run and user_id is None:
        CompletionRun.objects.update_or_create(pk=1, defaults={"finished_at": timezone.now(),
                                                               "completed": result.completed})
    return result


def _complete_one_by_one(result: CompletionResult, *, now: datetime, after: int, limit: int,
                         user_id: int | None, dry_run: bool) -> tuple[int, int]:
    due = MiningSession.objects.filter(completed_at__isnull=True, ends_at__lte=now, pk__gt=after)
    if user_id is not None:
        due = due.filter(user_id=user_id)
    ids = list(due.order_by("pk").values_list("pk", flat=True)[:limit])
    for session_id in ids:
        _complete_alone(result, now=now, session_id=session_id, dry_run=dry_run)
    return len(ids), (ids[-1] if ids else after)


def _complete_alone(result: CompletionResult, *, now: datetime, session_id: int, dry_run: bool) -> None:
    try:
        with transaction.atomic():
            batch = _complete_batch(now=now, after=0, limit=1, only_id=session_id)
            if dry_run:
                transaction.set_rollback(True)
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:  # noqa: BLE001 — any failure of one session; the rest go on
        stuck_item_record(job=COMPLETION_JOB, item_id=session_id, error=error)
        result.stuck.append(session_id)
    else:
        result.add(batch)
        if not dry_run:
            stuck_item_clear(job=COMPLETION_JOB, item_id=session_id)


@dataclass(frozen=True)
class BatchOutcome:
    completed: int
    rewarded: int
    rewarded_total: Decimal
    last_id: int


def _complete_batch(*, now: datetime, after: int, limit: int, user_id: int | None = None,
                    only_id: int | None = None) -> BatchOutcome:
    """Complete up to `limit` ended sessions with ids above `after`, in the caller's transaction."""
    from accounts.selectors import user_email_confirmed_sql

    if only_id is not None:
        which = "AND m.id = %(only_id)s"
    elif user_id is not None:
        which = "AND m.user_id = %(user_id)s"
    else:
        which = ("AND NOT EXISTS (SELECT 1 FROM phonix_stuckitem st"
                 " WHERE st.job = %(job)s AND st.item_id = m.id::text)")
    params: SqlParams = {"now": now, "after": after, "limit": limit, "user_id": user_id, "only_id": only_id,
              "job": COMPLETION_JOB}
    with connection.cursor() as cursor:
        # Inside an outer transaction (a start, a test, a dry run) ON COMMIT has not dropped the last one.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.mining_completed")
        cursor.execute(
            """
            CREATE TEMP TABLE mining_completed (
                id bigint, user_id bigint, ends_at timestamptz, outcome text, reward numeric(20, 6)
            ) ON COMMIT DROP
            """
        )
        cursor.execute(
            f"""
            WITH due AS (
                SELECT m.id FROM mining_miningsession m
                WHERE m.completed_at IS NULL AND m.ends_at <= %(now)s AND m.id > %(after)s {which}
                ORDER BY m.id LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            ), decided AS (
                SELECT m.id,
                       CASE WHEN EXISTS (SELECT 1 FROM investment_subscription s
                                         WHERE s.user_id = m.user_id AND s.is_active) THEN 'investor'
                            WHEN NOT {user_email_confirmed_sql("u")} THEN 'unconfirmed'
                            WHEN left_over.amount <= 0 THEN 'limit'
                            ELSE 'rewarded' END AS outcome,
                       left_over.amount AS reward
                FROM due JOIN mining_miningsession m ON m.id = due.id
                JOIN accounts_user u ON u.id = m.user_id
                JOIN investment_planversion v ON v.id = m.plan_version_id
                LEFT JOIN mining_miningprofile p ON p.user_id = m.user_id
                CROSS JOIN LATERAL (
                    SELECT LEAST(v.mining_free_reward, v.mining_free_limit - coalesce(p.free_total, 0)) AS amount
                ) left_over
            ), done AS (
                UPDATE mining_miningsession m
                SET completed_at = %(now)s, outcome = d.outcome,
                    reward = CASE WHEN d.outcome = 'rewarded' THEN d.reward ELSE 0 END
                FROM decided d WHERE m.id = d.id AND m.completed_at IS NULL
                RETURNING m.id, m.user_id, m.ends_at, m.outcome, m.reward
            )
            INSERT INTO mining_completed SELECT * FROM done
            """,
            params,
        )
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE reward > 0), coalesce(sum(reward), 0), coalesce(max(id), 0)
            FROM mining_completed
            """
        )
        count, rewarded, rewarded_total, last_id = cursor.fetchone()
        if not count:
            return BatchOutcome(0, 0, Decimal(0), after)
        _completed_notify(now=now, after=after, last_id=last_id)
        # The streak counts UTC days with a completed session: it goes on when a session ends on
        # the day after the last one, stays on a second session the same day, and starts again
        # after a day without one.
        cursor.execute(
            """
            INSERT INTO mining_miningprofile AS p (user_id, free_total, streak, streak_last_day, email_reminder)
            SELECT user_id, reward, 1, (ends_at AT TIME ZONE 'UTC')::date, false FROM mining_completed
            ON CONFLICT (user_id) DO UPDATE SET
                free_total = p.free_total + EXCLUDED.free_total,
                streak = CASE WHEN p.streak_last_day = EXCLUDED.streak_last_day THEN p.streak
                              WHEN p.streak_last_day = EXCLUDED.streak_last_day - 1 THEN p.streak + 1
                              ELSE 1 END,
                streak_last_day = GREATEST(p.streak_last_day, EXCLUDED.streak_last_day)
            """
        )
        if rewarded:
            _rewards_post()
        cursor.execute(
            """
            SELECT c.id FROM mining_completed c JOIN mining_miningprofile p ON p.user_id = c.user_id
            WHERE p.email_reminder ORDER BY c.id
            """
        )
        reminder_ids = [row[0] for row in cursor.fetchall()]
    if reminder_ids:
        _reminders_enqueue(session_ids=reminder_ids)
    return BatchOutcome(count, rewarded, rewarded_total, last_id)


def _rewards_post() -> None:
    """The batch's free rewards to the members' bonus accounts: one ledger transaction, an entry per member.

    The completed session is each reward's own record (it completes once), so the key — the first
    and last session rewarded — is new for every batch.
    """
    payout_table_create()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM mining_completed WHERE reward > 0")
        first, last = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO pg_temp.wallet_payout (user_id, amount, description)
            SELECT user_id, sum(reward),
                   -- Stored in English whatever the member's language; pages translate by type.
                   CASE WHEN count(*) = 1 THEN 'Free mining reward, session #' || min(id)
                        ELSE 'Free mining rewards, sessions #' || string_agg(id::text, ', #' ORDER BY id) END
            FROM mining_completed WHERE reward > 0 GROUP BY user_id
            """
        )
    ledger_post_payouts(
        key=f"mining:sessions:{first}-{last}", kind=LedgerTransaction.Kind.BONUS,
        history_type=Transaction.Type.BONUS, member_code=AccountCode.BONUS,
        memo=f"Free mining rewards, sessions {first}-{last}",
    )


def _completed_notify(*, now: datetime, after: int, last_id: int) -> None:
    """Tell each member their session completed, once its batch has committed."""
    from phonix.notifications import notify_set

    notify_set(kind="mining_session_completed", params={"now": now, "after": after, "last": last_id}, source_sql="""
        SELECT user_id, 'mining:' || id || ':completed',
               jsonb_build_object('session', id::text, 'outcome', outcome, 'reward', reward::text)
        FROM mining_miningsession WHERE id > %(after)s AND id <= %(last)s AND completed_at = %(now)s
    """)


def _reminders_enqueue(*, session_ids: list[int]) -> None:
    signals.reminders_due.send(sender=MiningSession, session_ids=session_ids)


def mining_reminders_send(*, session_ids: list[int]) -> int:
    """E-mail the members who asked for it that their session has ended; once per session."""
    from django.core.mail import send_mass_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    sent = 0
    for session_id in session_ids:
        with transaction.atomic():
            claimed = MiningSession.objects.filter(pk=session_id, reminded_at__isnull=True,
                                                   completed_at__isnull=False).update(reminded_at=timezone.now())
            if not claimed:
                continue
            session = MiningSession.objects.select_related("user").get(pk=session_id)
            if not session.user.email:
                continue
            # Members read e-mail in the site's language (no per-member language is stored yet).
            with translation.override(settings.LANGUAGE_CODE):
                context = {"user": session.user, "session": session}
                message = (
                    render_to_string("mining/email/session_ended_subject.txt", context).strip(),
                    render_to_string("mining/email/session_ended.txt", context),
                    None, [session.user.email],
                )
            # Sent inside the claim: if the mail server refuses, the claim rolls back and a retry sends.
            send_mass_mail([message])
            sent += 1
    return sent
