"""Mongolian (CLDR: short date y.MM.dd, time HH:mm, the week starts on Monday)."""

from crm.formats import cldr_numbers

TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y.m.d"
SHORT_DATETIME_FORMAT = "Y.m.d H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR, THOUSAND_SEPARATOR, NUMBER_GROUPING = cldr_numbers("mn")
