"""Settings of the fault tests' worker process: the suite's, against the test database, and
not eager (tasks the worker sends go through Redis, as in production)."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["FAULT_DB_NAME"]
CELERY_TASK_ALWAYS_EAGER = False
