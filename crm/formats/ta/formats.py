"""Tamil (CLDR: short date d/M/yy, date-time "{date}, {time}", time h:mm a; in India the week
starts on Sunday, Django's default)."""

from crm.formats import cldr_numbers

SHORT_DATE_FORMAT = "j/n/y"
SHORT_DATETIME_FORMAT = "j/n/y, g:i A"
DECIMAL_SEPARATOR, THOUSAND_SEPARATOR, NUMBER_GROUPING = cldr_numbers("ta")
