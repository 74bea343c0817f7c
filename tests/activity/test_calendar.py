"""The calendar (week, month, a head's team) and the private iCal feed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from crm.activity import services
from crm.activity.models import CalendarFeed
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import department_headed_by, new_task
from tests.conftest import add_member, api_client, login
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db


def _shown(response):
    return {t.title for d in response.context["days"] for t in d["tasks"]}


def test_week_and_month_show_the_tasks_on_their_days(
    workspace, client, django_assert_max_num_queries
):
    _tenant, owner = workspace
    today = timezone.localdate()
    new_task(owner, title="All day today", day=today)
    new_task(owner, title="In an hour", hours=1)
    new_task(owner, title="Far away", day=today + dt.timedelta(days=60))
    login(client, owner)
    with django_assert_max_num_queries(12):
        week = client.get(reverse("calendar"))
    assert week.status_code == 200 and len(week.context["days"]) == 7
    today_cell = next(d for d in week.context["days"] if d["today"])
    assert "All day today" in [t.title for t in today_cell["tasks"]]
    assert "Far away" not in _shown(week)
    with django_assert_max_num_queries(12):
        month = client.get(reverse("calendar"), {"view": "month"})
    assert len(month.context["days"]) % 7 == 0 and len(month.context["days"]) >= 28
    assert "All day today" in _shown(month)
    later = client.get(
        reverse("calendar"), {"view": "month", "date": (today + dt.timedelta(days=60)).isoformat()}
    )
    assert "Far away" in _shown(later)
    page = week.content.decode()
    assert "js/calendar.js" in page and "data-draggable" in page and "style=" not in page
    assert "<script>" not in page  # no inline script: CSP is script-src 'self'


def test_a_head_opens_the_teams_calendar(workspace, client):
    tenant, _owner = workspace
    head = add_member(tenant, "head")
    priya = add_member(tenant, "manager")
    sarah = add_member(tenant, "manager")
    department_headed_by(head, priya)
    new_task(head, title="Head's own", hours=1)
    new_task(priya, title="Priya's call", hours=1)
    new_task(sarah, title="Sarah's call", hours=1)
    login(client, head)
    people = client.get(reverse("calendar")).context["people"]
    assert {u.pk for u in people} == {head.user_id, priya.user_id}
    assert _shown(client.get(reverse("calendar"))) == {"Head's own"}
    team = client.get(reverse("calendar"), {"who": "team"})
    assert _shown(team) == {"Head's own", "Priya's call"}
    assert _shown(client.get(reverse("calendar"), {"who": priya.user_id})) == {"Priya's call"}
    assert client.get(reverse("calendar"), {"who": sarah.user_id}).status_code == 404


def test_a_manager_cannot_open_a_colleagues_calendar(workspace, client):
    tenant, _owner = workspace
    priya = add_member(tenant, "manager")
    ivan = add_member(tenant, "manager")
    new_task(ivan, title="Ivan's call", hours=1)
    login(client, priya)
    assert client.get(reverse("calendar"), {"who": ivan.user_id}).status_code == 404
    assert _shown(client.get(reverse("calendar"), {"who": "team"})) == set()
    assert [u.pk for u in client.get(reverse("calendar")).context["people"]] == [priya.user_id]


def test_another_workspaces_member_is_not_a_calendar(workspace, other_workspace, client):
    _, owner = workspace
    _, stranger = other_workspace
    login(client, owner)
    assert client.get(reverse("calendar"), {"who": stranger.user_id}).status_code == 404


# --- the iCal feed ----------------------------------------------------------------------


def _feed_url(membership):
    with tenant_scope(membership.tenant_id, membership.user):
        _, raw = services.calendar_feed_regenerate(actor=membership)
    return reverse("calendar_feed", args=[raw]), raw


def test_the_feed_lists_the_persons_tasks_as_events(workspace, client):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    day = timezone.localdate() + dt.timedelta(days=2)
    whole = new_task(owner, title="Trade fair", day=day, kind="meeting", notes="Stand 4")
    timed = new_task(
        owner, title="Call Ann", hours=3, kind="call", subject=ann, reminder_minutes_before=15
    )
    colleague = add_member(tenant, "manager")
    new_task(colleague, title="Not mine", hours=1)
    url, _ = _feed_url(owner)
    response = client.get(url)  # no login
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Meeting: Trade fair", "Call: Call Ann"}
    fair = events["Meeting: Trade fair"]
    assert fair.decoded("dtstart") == day
    assert fair.decoded("dtend") == day + dt.timedelta(days=1)
    assert "Stand 4" in str(fair["description"])
    call = events["Call: Call Ann"]
    assert call.decoded("dtstart") == timed.due_at.replace(microsecond=0)
    assert call.decoded("dtend") - call.decoded("dtstart") == dt.timedelta(minutes=30)
    assert "Ann Lee" in str(call["description"])
    assert str(call["url"]).endswith(reverse("contact_card", args=[ann.pk]))
    assert str(call["uid"]) != str(fair["uid"])
    (alarm,) = call.walk("VALARM")
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=15)
    assert whole.pk and str(calendar["x-wr-calname"]) == "Acme: tasks"
    with tenant_scope(tenant):
        assert CalendarFeed.objects.get(user=owner.user).last_used_at is not None


def test_the_feed_is_scoped_to_its_workspace_and_its_secret(workspace, other_workspace, client):
    tenant, owner = workspace
    other_tenant, stranger = other_workspace
    new_task(stranger, title="Globex secret", hours=1)
    url, raw = _feed_url(owner)
    calendar = Calendar.from_ical(client.get(url).content)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == []
    # The same secret naming the other workspace finds nothing there.
    secret = raw.split("_", 2)[2]
    forged = f"cal_{other_tenant.pk}_{secret}"
    assert client.get(reverse("calendar_feed", args=[forged])).status_code == 404
    for bad in ("nonsense", "cal_x_y", f"cal_{tenant.pk}_", f"cal_{tenant.pk}_wrong"):
        assert client.get(reverse("calendar_feed", args=[bad])).status_code == 404, bad
    # A new link retires the old one.
    new_url, _ = _feed_url(owner)
    assert client.get(url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_a_member_who_left_has_no_feed(workspace, client):
    tenant, _ = workspace
    priya = add_member(tenant, "manager")
    url, _ = _feed_url(priya)
    assert client.get(url).status_code == 200
    with tenant_scope(tenant):
        priya.is_active = False
        priya.save()
    assert client.get(url).status_code == 404


def test_the_token_is_stored_hashed(workspace):
    _, owner = workspace
    _, raw = _feed_url(owner)
    with tenant_scope(owner.tenant_id):
        feed = CalendarFeed.objects.get(user=owner.user)
    assert raw not in feed.token_hash and feed.token_hash == CalendarFeed.hash(raw)


def test_the_settings_page_shows_a_new_link_once(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    page = client.get(reverse("notification_settings"))
    assert b"Create my calendar link" in page.content
    made = client.post(reverse("calendar_feed_regenerate")).content.decode()
    assert "/calendar/cal_" in made and 'data-testid="feed-url"' in made
    again = client.get(reverse("notification_settings")).content.decode()
    assert "/calendar/cal_" not in again and "Make a new link" in again
    client.post(reverse("calendar_feed_revoke"))
    with tenant_scope(tenant):
        assert not CalendarFeed.objects.exists()


def test_the_feed_token_is_regenerated_through_the_api(workspace, client):
    _tenant, owner = workspace
    api = api_client(owner)
    response = api.post("/api/v1/calendar-feeds/regenerate/")
    assert response.status_code == 200
    url = response.json()["url"]
    assert "/calendar/cal_" in url
    path = url.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    listed = api.get("/api/v1/calendar-feeds/").json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]
    assert api.delete(f"/api/v1/calendar-feeds/{listed[0]['id']}/").status_code == 204
    assert client.get(path).status_code == 404
