"""Django format modules (settings.FORMAT_MODULE_PATH) for the languages whose Django formats
are incomplete: Django then knows no digit grouping for them and writes date-times the US way.
Values come from CLDR (Babel), in Django's notation; what a module leaves out is Django's."""

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol, parse_pattern


def cldr_numbers(language: str) -> tuple[str, str, int | tuple[int, ...]]:
    """DECIMAL_SEPARATOR, THOUSAND_SEPARATOR, NUMBER_GROUPING: (3, 2, 0) is Indian grouping,
    12,34,567 (the 0 repeats the last group size)."""
    primary, secondary = parse_pattern(Locale.parse(language).decimal_formats[None]).grouping
    grouping = primary if primary == secondary else (primary, secondary, 0)
    return get_decimal_symbol(language), get_group_symbol(language), grouping
