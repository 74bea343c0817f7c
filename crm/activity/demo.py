"""Sample tasks and comments for the demo workspace: every salesperson's day has something
overdue, something today, a week ahead and something done, about their own clients."""

import datetime as dt

from django.utils import timezone

from crm import objects

from . import services

PLAN = [
    # (kind, title, days from today, hour or None for all day, reminder, done)
    ("call", "Call back about the quote", -1, 11, None, False),
    ("meeting", "Product demo", 0, 15, 30, False),
    ("task", "Send the contract draft", 0, None, None, False),
    ("call", "Check the delivery date", 1, 10, 15, False),
    ("meeting", "Quarterly review", 3, 14, 60, False),
    ("task", "Prepare a discount offer", 6, None, 1440, False),
    ("call", "Introductory call", 0, 9, None, True),
]


def _at(day: dt.date, hour: int):
    zone = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def seed(admin, team) -> None:
    """Run inside the demo workspace's scope, after the clients exist."""
    today = timezone.localdate()
    contacts = list(objects.get("contact").records(admin).order_by("id"))
    for member in team:
        theirs = [c for c in contacts if c.owner_id == member.user_id] or contacts
        for n, (kind, title, days, hour, reminder, done) in enumerate(PLAN):
            subject = theirs[n % len(theirs)] if theirs else None
            day = today + dt.timedelta(days=days)
            timing = (
                {"all_day": True, "due_date": day}
                if hour is None
                else {"due_at": _at(day, hour), "duration_minutes": 30 if kind == "call" else 60}
            )
            task = services.task_create(
                actor=member,
                title=title,
                kind=kind,
                subject=subject,
                reminder_minutes_before=reminder,
                **timing,
            )
            if done:
                services.task_complete(actor=member, task=task, note="Interested; wants a demo.")
    priya = next((m for m in team if m.user.email == "priya@example.com"), None)
    if priya and contacts:
        client = next((c for c in contacts if c.owner_id == priya.user_id), contacts[0])
        services.comment_add(
            actor=admin,
            subject=client,
            body="@priya they asked for a call before Friday, can you take it?",
        )
