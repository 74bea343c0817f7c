"""When a subscription is due: daily, weekly and monthly in the recipient's time zone,
across daylight-saving changes."""

from __future__ import annotations

import datetime as dt

from reports.schedule import next_run

UTC = dt.UTC


def _at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_daily_is_the_next_time_of_day_in_the_zone():
    # 09:00 in Moscow is 06:00 UTC; at 05:59 UTC it is still today, at 06:00 it is tomorrow.
    nine = dt.time(9, 0)
    assert next_run(_at(2026, 3, 2, 5, 59), frequency="daily", time_of_day=nine,
                    zone="Europe/Moscow") == _at(2026, 3, 2, 6, 0)  # fmt: skip
    assert next_run(_at(2026, 3, 2, 6, 0), frequency="daily", time_of_day=nine,
                    zone="Europe/Moscow") == _at(2026, 3, 3, 6, 0)  # fmt: skip


def test_a_time_late_in_the_zone_can_fall_on_the_previous_utc_day():
    # 07:00 in Ulaanbaatar (UTC+8) is 23:00 UTC the evening before.
    got = next_run(_at(2026, 5, 10, 12, 0), frequency="daily", time_of_day=dt.time(7, 0),
                   zone="Asia/Ulaanbaatar")  # fmt: skip
    assert got == _at(2026, 5, 10, 23, 0)


def test_weekly_on_its_weekday():
    # 2026-03-04 is a Wednesday; Monday 08:30 in Kolkata (UTC+5:30) is 03:00 UTC.
    got = next_run(_at(2026, 3, 4, 12, 0), frequency="weekly", time_of_day=dt.time(8, 30),
                   zone="Asia/Kolkata", weekday=0)  # fmt: skip
    assert got == _at(2026, 3, 9, 3, 0)
    assert got.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).weekday() == 0


def test_monthly_takes_the_last_day_of_a_shorter_month():
    kwargs = {"frequency": "monthly", "time_of_day": dt.time(10, 0), "zone": "UTC",
              "day_of_month": 31}  # fmt: skip
    assert next_run(_at(2026, 3, 31, 11, 0), **kwargs) == _at(2026, 4, 30, 10, 0)
    assert next_run(_at(2026, 4, 30, 11, 0), **kwargs) == _at(2026, 5, 31, 10, 0)
    assert next_run(_at(2027, 1, 31, 11, 0), **kwargs) == _at(2027, 2, 28, 10, 0)


def test_daylight_saving_keeps_the_local_time():
    # New York: 09:00 is 14:00 UTC in winter (EST) and 13:00 UTC from 2026-03-08 (EDT).
    nine = {"frequency": "daily", "time_of_day": dt.time(9, 0), "zone": "America/New_York"}
    assert next_run(_at(2026, 3, 7, 15, 0), **nine) == _at(2026, 3, 8, 13, 0)
    assert next_run(_at(2026, 3, 6, 15, 0), **nine) == _at(2026, 3, 7, 14, 0)
    # Back to EST on 2026-11-01.
    assert next_run(_at(2026, 10, 31, 14, 0), **nine) == _at(2026, 11, 1, 14, 0)


def test_a_time_the_spring_change_skips_and_one_the_autumn_change_repeats():
    # 02:30 does not exist in New York on 2026-03-08: sent at 03:30 EDT (07:30 UTC), once.
    gap = {"frequency": "daily", "time_of_day": dt.time(2, 30), "zone": "America/New_York"}
    assert next_run(_at(2026, 3, 8, 0, 0), **gap) == _at(2026, 3, 8, 7, 30)
    assert next_run(_at(2026, 3, 8, 7, 30), **gap) == _at(2026, 3, 9, 6, 30)
    # 01:30 happens twice on 2026-11-01: the first one (EDT, 05:30 UTC), and only that.
    twice = {"frequency": "daily", "time_of_day": dt.time(1, 30), "zone": "America/New_York"}
    assert next_run(_at(2026, 11, 1, 0, 0), **twice) == _at(2026, 11, 1, 5, 30)
    assert next_run(_at(2026, 11, 1, 5, 30), **twice) == _at(2026, 11, 2, 6, 30)


def test_an_unknown_zone_reads_as_utc():
    got = next_run(_at(2026, 1, 1, 0, 0), frequency="daily", time_of_day=dt.time(9, 0),
                   zone="Nowhere/Atlantis")  # fmt: skip
    assert got == _at(2026, 1, 1, 9, 0)
