"""One settings module, configured from the environment.

CRM_ENV=production turns on the secure defaults that `manage.py check --deploy` asks for.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("CRM_ENV", "development")
PRODUCTION = ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "" if PRODUCTION else "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuv"
)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
).split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "crm.tenancy",
    "crm.accounts",
    "crm.activity",
    "crm.api",
    "crm.web",
    "contacts",
    "pipelines",
    "deals",
    "integrations",
    "invoices",
    "reports",
    "automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Webhooks skip the browser's middleware below (sessions, login, CSRF...): crm/web/lean.py.
    "crm.web.lean.LeanViewMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which parses the body: see crm/web/middleware.py.
    "crm.web.middleware.UploadLimitMiddleware",
    "crm.web.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.tenancy.middleware.TenantMiddleware",
    "crm.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.web.context.shell",
            ],
        },
    }
]

# The runtime role must be neither superuser nor BYPASSRLS: row-level security is the
# second wall between tenants (see crm/tenancy/README.md). The backend sets the tenant.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgresql://crm@localhost:5432/crm"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ENGINE"] = "crm.tenancy.backend"
# Search forgives a typo or two: pg_trgm's word-similarity bar, below its default 0.6.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c pg_trgm.word_similarity_threshold=0.4"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "crm"),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_MAX_AGE = 60 * 60 * 24 * 7

# Repeated failed logins are throttled per username and address.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "crm.accounts.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]

# Everything the pages load comes from our own origin; no inline script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("mn", _("Mongolian")),
    ("ta", _("Tamil")),
    ("te", _("Telugu")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django's own date and number formats for mn, ta and te are incomplete (no grouping, US
# date-times); crm/formats fills them in from CLDR.
FORMAT_MODULE_PATH = ["crm.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Third-party front-end packages come from package.json (npm ci), served as they are.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "crm.storage.Storage"},  # nothing half-written on a full disk
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

# SMTP when a mail server is configured (always in production); otherwise mail is printed
# to the worker's log, so `make run` works on a machine with no mail server.
SMTP_OPTIONS = {
    "host": os.environ.get("EMAIL_HOST", "localhost"),
    "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS", False),
    "timeout": 10,
}
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": SMTP_OPTIONS}
        if PRODUCTION or os.environ.get("EMAIL_HOST")
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CRM <no-reply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.IsTenantMember"],
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_KEY_RATE", "1200/min")},
    "EXCEPTION_HANDLER": "crm.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "Workspace data for API keys (Authorization: Bearer <key>) and the browser.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A stage's kind and a deal's status share one set of values: open, won, lost.
    "ENUM_NAME_OVERRIDES": {
        "OutcomeEnum": "pipelines.models.Stage.KINDS",
        # An import job's list row and its detail are two components sharing the status.
        "ImportJobStatusEnum": "contacts.models.ImportJob.STATUSES",
        # Custom fields also serve deals; imports and segments are of clients only.
        "CustomFieldTargetEnum": "contacts.models.CustomField.TARGETS",
        "ClientObjectTypeEnum": "contacts.models.CustomField.OBJECT_TYPES",
        # A channel's status and a conversation's are two different sets.
        "ChannelStatusEnum": "integrations.models.Channel.STATUSES",
        "ConversationStatusEnum": "integrations.models.Conversation.STATUSES",
    },
}

CELERY_BROKER_URL = (
    REDIS_URL.replace("unix://", "redis+socket://", 1)
    if REDIS_URL.startswith("unix://")
    else REDIS_URL
)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per kind of work, each with its own worker (`make run`, docker-compose), so a
# long import or a slow mail server never holds up the event spine or incoming messages.
CELERY_QUEUES_BY_KIND = {
    "ingest": "incoming email, messenger and telephony deliveries",
    "events": "event dispatch and its sweeps, reminders",
    "mail": "outgoing email",
    "heavy": "imports, exports, reports",
}
CELERY_TASK_ROUTES = {
    "activity.dispatch_event": {"queue": "events"},
    "activity.dispatch_events": {"queue": "events"},
    "activity.sweep_outbox": {"queue": "events"},
    "activity.send_due_reminders": {"queue": "events"},
    "activity.mark_overdue_tasks": {"queue": "events"},
    "activity.send_notification_email": {"queue": "mail"},
    "activity.send_notification_emails": {"queue": "mail"},
    "invoices.send_invoice_email": {"queue": "mail"},
    "invoices.send_reminder_email": {"queue": "mail"},
    "invoices.mark_overdue": {"queue": "events"},
    "accounts.send_invitation_email": {"queue": "mail"},
    "contacts.import_contacts": {"queue": "heavy"},
    "contacts.recover_imports": {"queue": "heavy"},
    "reports.export_report": {"queue": "heavy"},
    "reports.recover_exports": {"queue": "heavy"},
    "reports.rebuild_rollups": {"queue": "heavy"},
    "integrations.ingest_delivery": {"queue": "ingest"},
    "integrations.ingest_pending": {"queue": "ingest"},
    "integrations.wake_snoozed": {"queue": "ingest"},
    "integrations.wake_stalled": {"queue": "ingest"},
    "integrations.poll_mail": {"queue": "ingest"},
    "integrations.send_autoreply": {"queue": "mail"},
    # Automation rules run beside the event spine that starts them (docs/scaling.md).
    "automation.run_steps": {"queue": "events"},
    "automation.run_due_steps": {"queue": "events"},
    "automation.sweep_steps": {"queue": "events"},
    "automation.sweep_triggers": {"queue": "events"},
    "reports.sweep_subscriptions": {"queue": "events"},
    "reports.send_subscription": {"queue": "mail"},
}
# Reports: an export of more detail rows than this runs in the background, with progress.
REPORT_EXPORT_SYNC_MAX_ROWS = int(os.environ.get("REPORT_EXPORT_SYNC_MAX_ROWS", "10000"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Invoices past their due date and unpaid: invoice.overdue, once per invoice (daily).
    "invoices-overdue": {"task": "invoices.mark_overdue", "schedule": crontab(hour=0, minute=30)},
    # A safety net for events whose on-commit dispatch never ran (a worker died, Redis blinked).
    "sweep-outbox": {"task": "activity.sweep_outbox", "schedule": 60.0},
    # Imports a dead worker or a lost task left behind.
    "recover-imports": {"task": "contacts.recover_imports", "schedule": 300.0},
    # Report exports a dead worker or a lost task left behind.
    "recover-report-exports": {"task": "reports.recover_exports", "schedule": 300.0},
    # Task reminders that are due become notifications (and emails), once per task.
    "task-reminders": {"task": "activity.send_due_reminders", "schedule": 60.0},
    # Tasks past due and not done: task.overdue, once per task.
    "tasks-overdue": {"task": "activity.mark_overdue_tasks", "schedule": 60.0},
    # Snoozed conversations whose time has come open again in the inbox.
    "wake-snoozed": {"task": "integrations.wake_snoozed", "schedule": 60.0},
    "wake-stalled": {"task": "integrations.wake_stalled", "schedule": 60.0},
    # Email channels fetch their new mail over IMAP.
    "poll-mail": {"task": "integrations.poll_mail", "schedule": 60.0},
    # Automation steps whose delay is over (and any whose task was lost) run.
    "automation-steps": {"task": "automation.sweep_steps", "schedule": 2.0},
    # Triggers on time passing (a deal idle in its stage for N days) emit their events.
    "automation-triggers": {"task": "automation.sweep_triggers", "schedule": 120.0},
    # Outgoing webhooks due for a retry (or whose task was lost) are sent again.
    "sweep-webhooks": {"task": "automation.sweep_webhooks", "schedule": 10.0},
    # Report subscriptions that are due are claimed (once per period) and mailed.
    "report-subscriptions": {"task": "reports.sweep_subscriptions", "schedule": 60.0},
}
# Automation: how deep a chain of rules (one rule's action starting another) may go, and how
# often a failing step is tried before its run is marked failed.
AUTOMATION_MAX_DEPTH = int(os.environ.get("AUTOMATION_MAX_DEPTH", "5"))
AUTOMATION_STEP_ATTEMPTS = int(os.environ.get("AUTOMATION_STEP_ATTEMPTS", "3"))

# Channels (integrations/): the public Bot API, unless a channel names another (a stand-in in
# tests and local trials); every call to a channel's far end gives up after this many seconds.
TELEGRAM_API_BASE_URL = os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
# Meta's Graph API (WhatsApp, Messenger, Instagram), with its version, and the VK API: as
# for Telegram, a channel may name another (a stand-in on loopback).
META_GRAPH_API_BASE_URL = os.environ.get(
    "META_GRAPH_API_BASE_URL", "https://graph.facebook.com/v21.0"
)
VK_API_BASE_URL = os.environ.get("VK_API_BASE_URL", "https://api.vk.com/method")
# Telephony: the providers' REST APIs (recordings, click-to-call), unless a channel names
# another address (a stand-in in tests and local trials).
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "https://api.twilio.com")
ZADARMA_API_BASE_URL = os.environ.get("ZADARMA_API_BASE_URL", "https://api.zadarma.com")
INTEGRATIONS_HTTP_TIMEOUT = float(os.environ.get("INTEGRATIONS_HTTP_TIMEOUT", "10"))
# Outgoing webhooks (automation/webhooks/): each post gives up after WEBHOOK_TIMEOUT seconds
# and reads at most WEBHOOK_MAX_RESPONSE_BYTES of the answer; a failure that may pass is
# retried after each of WEBHOOK_RETRY_DELAYS (seconds, about a day in all, as Standard Webhooks
# suggests); an endpoint failing WEBHOOK_DISABLE_AFTER_FAILURES times in a row over at least
# WEBHOOK_DISABLE_AFTER_SECONDS is switched off. Endpoints must be public https addresses;
# WEBHOOK_ALLOWED_NETWORKS (CIDRs) and WEBHOOK_ALLOWED_HOSTS (names) open others, and
# WEBHOOK_ALLOW_HTTP plain http, for a receiver on loopback in tests and local trials.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_MAX_RESPONSE_BYTES = int(os.environ.get("WEBHOOK_MAX_RESPONSE_BYTES", "4096"))
WEBHOOK_RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000]
WEBHOOK_LEASE_SECONDS = 60
WEBHOOK_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "20"))
WEBHOOK_DISABLE_AFTER_SECONDS = int(os.environ.get("WEBHOOK_DISABLE_AFTER_SECONDS", "86400"))
WEBHOOK_ALLOWED_NETWORKS = [
    n for n in os.environ.get("WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n
]
WEBHOOK_ALLOWED_HOSTS = [h for h in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",") if h]
WEBHOOK_ALLOW_HTTP = os.environ.get("WEBHOOK_ALLOW_HTTP", "") == "1"
# The largest file a message may carry in or out (a larger one fails its delivery, with
# the reason shown on the channel's page).
INBOX_MAX_FILE_BYTES = int(os.environ.get("INBOX_MAX_FILE_BYTES", str(25 * 1024 * 1024)))
# The public endpoints of the site's forms and chat: calls per minute per address and form
# or chat (counted in Redis), and how long a tracked link in an email names its client.
SITE_RATE_LIMITS = {
    "form": int(os.environ.get("SITE_FORM_RATE", "10")),
    "chat": int(os.environ.get("SITE_CHAT_RATE", "20")),
    "hello": int(os.environ.get("SITE_HELLO_RATE", "60")),
    "read": int(os.environ.get("SITE_READ_RATE", "120")),
}
# Inbound webhooks (channels, payment providers), calls a minute: per channel (its URL's
# token), per address, and refused calls per address (crm/web/ratelimit.py). 0: no limit.
WEBHOOK_RATE_LIMITS = {
    "channel": int(os.environ.get("WEBHOOK_RATE_PER_CHANNEL", "600")),
    "ip": int(os.environ.get("WEBHOOK_RATE_PER_IP", "3000")),
    "ip_refused": int(os.environ.get("WEBHOOK_RATE_REFUSED_PER_IP", "30")),
}
SITE_LINK_MAX_AGE = int(os.environ.get("SITE_LINK_MAX_AGE", str(60 * 60 * 24 * 365)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
