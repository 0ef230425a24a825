"""Settings shared by every environment. Secrets and URLs come only from the environment."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import django_stubs_ext
import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

# Django's generic classes (ModelAdmin[Model], ModelForm[Model], …) accept the type parameters
# that the annotations give them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_ratelimit",
    "csp",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonix",
    "accounts",
    "wallet",
    "investment",
    "earnings",
    "ranks",
    "mining",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "phonix.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "phonix.middleware.NulBytesRefusedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "phonix.ratelimit.RateLimitMiddleware",
    # Last, so that it turns a lockout raised anywhere in the login flow into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this server only;
# no inline script, style attribute, eval, plugin or framing. Pages keep their behaviour in
# static/*.js and their looks in static/phonix.css (a test scans the templates).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws form controls' icons as data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
]

ROOT_URLCONF = "phonix.urls"
WSGI_APPLICATION = "phonix.wsgi.application"
ASGI_APPLICATION = "phonix.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "phonix.context_processors.theme",
                "dashboard.context_processors.unread",
            ],
        },
    },
]

# The application connects as a role that owns nothing and may change the ledger only through its
# SQL functions; migrations connect as the owner role (phonix/db_roles.py). Without
# DATABASE_OWNER_URL the application's role is the owner too.
DATABASES = {
    "default": env.db_url("DATABASE_URL"),
    "owner": env.db_url("DATABASE_OWNER_URL", default=env("DATABASE_URL")),
}
for _database in DATABASES.values():
    _database["ATOMIC_REQUESTS"] = False
    _database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "phonix",
    },
    # Rendered page parts that depend only on the code, the language, the page and the kind of
    # member (the navigation, the language choice, the history filters), kept in each process (a
    # new release starts empty); a few hundred of a few kB each.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 2_000},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Member pages kept rendered in the default cache until what they show changes (phonix/page_cache.py):
# the longest an entry lives, and the release name that keeps releases' pages apart (empty: a
# fingerprint of the code's files).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)
PAGE_CACHE_RELEASE = env("PAGE_CACHE_RELEASE", default="")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "home"
# The lockout check comes first; it authenticates nobody itself.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "accounts.backends.UsernameOrEmailBackend",
]
# Brute-force protection: lock a member from one address only, so that failures from another
# address cannot lock the member out. Failures count per member, whichever spelling of the
# username or e-mail was typed (accounts.backends.lockout_username).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False
# Behind N reverse proxies, the member's address is taken from X-Forwarded-For; with none, only
# REMOTE_ADDR counts (a client cannot spoof it).
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
# Rate limits (phonix/ratelimit.py), counted in Redis: "count/period", period s, m, h or d with an
# optional multiple ("10/h", "5/15m"). Per client address or per member, as noted.
RATE_LIMITS = {
    "registration": env("RATE_LIMIT_REGISTRATION", default="5/h"),  # sign-ups, per address
    "withdrawal": env("RATE_LIMIT_WITHDRAWAL", default="10/h"),  # withdrawal requests, per member
    "address_change": env("RATE_LIMIT_ADDRESS_CHANGE", default="5/h"),  # withdrawal address, per member
    "password_check": env("RATE_LIMIT_PASSWORD_CHECK", default="10/15m"),  # in-session password, per member
    "two_factor": env("RATE_LIMIT_TWO_FACTOR", default="10/15m"),  # 2FA codes, per member
    "referral_lookup": env("RATE_LIMIT_REFERRAL_LOOKUP", default="30/m"),  # referral pages, per address
}
RATELIMIT_USE_CACHE = "default"
# django-ratelimit lists only third-party Redis backends; Django's own RedisCache increments
# atomically (INCR) as well.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
OTP_TOTP_ISSUER = "Phonix"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries are installed from npm at set-up and served by this server.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Phonix <no-reply@phonix.local>")

# Celery: Redis broker, JSON only, UTC, bounded task run time.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True
# Task outcomes recorded from Celery's signals (phonix/task_runs.py), for the console and /metrics.
TASK_RUNS_KEEP_DAYS = env.int("TASK_RUNS_KEEP_DAYS", default=30)
TASK_RUNS_RECORD_EAGER = False

# The operator console (staff with 2FA) and /metrics: figures are cached this long.
CONSOLE_CACHE_SECONDS = env.int("CONSOLE_CACHE_SECONDS", default=60)
# The bearer token Prometheus sends to /metrics; unset, /metrics answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Money settings (USDT, 6 decimal places on chain).
LEDGER_MAX_AMOUNT = Decimal(env("LEDGER_MAX_AMOUNT", default="1000000000"))
REGISTRATION_BONUS = Decimal(env("REGISTRATION_BONUS", default="10"))
# A withdrawal address may be used this long after it was changed (enforced by withdrawals).
# Withdrawals also wait this long after a password, e-mail or two-factor change.
WITHDRAWAL_HOLD_AFTER_CREDENTIAL_CHANGE = timedelta(hours=env.int("WITHDRAWAL_CREDENTIAL_HOLD_HOURS", default=24))
# E-mail confirmation links: how long one works, and how many a member may have sent an hour.
EMAIL_LINK_MAX_AGE = env.int("EMAIL_LINK_MAX_AGE_HOURS", default=72) * 3600
EMAIL_LINK_SENDS_PER_HOUR = env.int("EMAIL_LINK_SENDS_PER_HOUR", default=3)
WITHDRAWAL_ADDRESS_COOLDOWN = timedelta(hours=env.int("WITHDRAWAL_ADDRESS_COOLDOWN_HOURS", default=24))
# Start requests a member may send per minute (a double click is one session anyway).
MINING_STARTS_PER_MINUTE = env.int("MINING_STARTS_PER_MINUTE", default=6)

# JSON API (/api/v1/, phonix/api.py): app tokens (django-rest-knox: stored hashed, expiring,
# revocable) or the browser's session; JSON only; errors as RFC 9457 problem details.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["phonix.api.TokenThrottle", "phonix.api.AddressThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "phonix.api.problem_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (or signed-in session) and per client address: "count/period" as RATE_LIMITS.
API_THROTTLE_RATES = {
    "token": env("API_RATE_LIMIT_TOKEN", default="300/m"),
    "address": env("API_RATE_LIMIT_ADDRESS", default="600/m"),
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "TOKEN_LIMIT_PER_USER": env.int("API_TOKENS_PER_MEMBER", default=20),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Bearer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Phonix API",
    "DESCRIPTION": "A member's own balances, subscriptions, earnings, team, ranks, wallet and market data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from phonix.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Mining calculator: where market data comes from (tests point these at local stand-ins).
COINGECKO_URL = env("COINGECKO_URL", default="https://api.coingecko.com")
MEMPOOL_URL = env("MEMPOOL_URL", default="https://mempool.space")
BLOCKCHAIN_INFO_URL = env("BLOCKCHAIN_INFO_URL", default="https://blockchain.info")
MARKET_HTTP_TIMEOUT_S = env.float("MARKET_HTTP_TIMEOUT_S", default=5.0)
# A value older than this is shown as stale even if the last refresh did not fail.
MARKET_STALE_AFTER_S = env.int("MARKET_STALE_AFTER_S", default=900)
# CoinGecko id:symbol pairs shown in the price ticker, in order.
MARKET_TICKER_COINS = env.list("MARKET_TICKER_COINS", default=[
    "bitcoin:BTC", "ethereum:ETH", "tether:USDT", "binancecoin:BNB", "solana:SOL", "ripple:XRP",
    "tron:TRX", "dogecoin:DOGE", "cardano:ADA", "litecoin:LTC",
])

# TRON custody (wallet/custody/chain.py, wallet/custody/keys.py). Switching between the devnode, Nile, Shasta and
# mainnet is configuration only. Secret material (mnemonic, wallet keys, the key file's Fernet
# key) is read from the environment by the signer worker only, never through these settings.
TRON_NODE_URL = env("TRON_NODE_URL", default="http://127.0.0.1:8090/")
# /walletsolidity/* reads; a self-hosted java-tron serves them on its solidity port (8091).
# Empty: TRON_NODE_URL (TronGrid serves both on one host).
TRON_SOLIDITY_URL = env("TRON_SOLIDITY_URL", default="")
TRON_API_KEY = env("TRON_API_KEY", default="")  # sent only if set; never tronpy's shared keys
TRON_TIMEOUT = env.float("TRON_TIMEOUT", default=10.0)
TRON_RETRIES = env.int("TRON_RETRIES", default=4)
TRON_RETRY_BACKOFF = env.float("TRON_RETRY_BACKOFF", default=0.5)
TRON_RATE_LIMIT_PER_SECOND = env.float("TRON_RATE_LIMIT_PER_SECOND", default=12.0)  # TronGrid: 15/s a key
USDT_CONTRACT = env("USDT_CONTRACT", default="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
USDT_DECIMALS = 6
TRON_FEE_LIMIT_SUN = env.int("TRON_FEE_LIMIT_SUN", default=50_000_000)
# "solidified" (irreversible) or "blocks:N" (N blocks on top of the deposit's block).
TRON_CONFIRMATION_RULE = env("TRON_CONFIRMATION_RULE", default="solidified")
TRON_TX_EXPIRATION_SECONDS = env.int("TRON_TX_EXPIRATION_SECONDS", default=60)
# A transaction is declared dead (and its withdrawal signed again) only after this many
# not-found answers spread over at least this many seconds past its expiration, and a read of
# every solidified block it could be in.
TRON_DEAD_AFTER_CHECKS = env.int("TRON_DEAD_AFTER_CHECKS", default=3)
TRON_DEAD_AFTER_SECONDS = env.int("TRON_DEAD_AFTER_SECONDS", default=180)
TRON_XPUB = env("TRON_XPUB", default="")
TRON_HOT_WALLET_ADDRESS = env("TRON_HOT_WALLET_ADDRESS", default="")
TRON_GAS_WALLET_ADDRESS = env("TRON_GAS_WALLET_ADDRESS", default="")
TRON_SIGNER_KEYFILE = env("TRON_SIGNER_KEYFILE", default="")
TRON_SCAN_START_BLOCK = env.int("TRON_SCAN_START_BLOCK", default=-1)  # -1: where the first deposit address was issued
TRON_SCAN_MAX_BLOCKS = env.int("TRON_SCAN_MAX_BLOCKS", default=2000)
# A Multicall contract (aggregate((address,bytes)[])) reads TRON_BALANCE_BATCH balances a call;
# without one, custody checks read one address a call.
TRON_MULTICALL_CONTRACT = env("TRON_MULTICALL_CONTRACT", default="")
TRON_BALANCE_BATCH = env.int("TRON_BALANCE_BATCH", default=100)
TRON_EXPLORER_TX_URL = env("TRON_EXPLORER_TX_URL", default="https://tronscan.org/#/transaction/{txid}")
# The withdrawal fee, withdrawal and deposit minimums and limits are staff-set data (the custody
# policy in the admin); WITHDRAWAL_FEE_PERCENT, WITHDRAWAL_MINIMUM and DEPOSIT_MINIMUM in the
# environment only seeded its first version.
WITHDRAWAL_STUCK_MINUTES = env.int("WITHDRAWAL_STUCK_MINUTES", default=15)
SWEEP_THRESHOLD = Decimal(env("SWEEP_THRESHOLD", default="10"))
SWEEP_GAS_SUN = env.int("SWEEP_GAS_SUN", default=30_000_000)
