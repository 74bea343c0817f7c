"""The reports app's models, each family in its own module."""

from .plan_models import *  # noqa: F403
from .rollup_models import *  # noqa: F403
