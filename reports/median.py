"""PostgreSQL's percentile_cont(0.5) as an aggregate: the median of intervals."""

from django.db.models import Aggregate, DurationField


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()
