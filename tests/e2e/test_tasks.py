"""Tasks in Chromium: a reminder arrives in the bell, a mention reaches a colleague, a task is
dragged to another day on the calendar, and My day works on a phone."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.activity.models import Task
from crm.activity.tasks import send_due_reminders
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import new_task
from tests.conftest import add_member, make_user, make_workspace, wait_for
from tests.contacts.conftest import new_contact
from tests.e2e.conftest import PHONE, log_in

pytestmark = pytest.mark.e2e


def test_a_task_with_a_reminder_rings_the_bell(page, smtp, screenshot_dir, transactional_db):
    tenant, owner = make_workspace("Acme")
    log_in(page, owner.user.email)
    page.goto("/tasks/")
    expect(page.get_by_test_id("unread-count")).to_be_hidden()

    # Quick add: a call in ten minutes, with a reminder fifteen minutes before.
    due = timezone.localtime(timezone.now() + dt.timedelta(minutes=10))
    form = page.get_by_test_id("quick-add")
    form.get_by_test_id("task-title").fill("Call Ivan about the offer")
    form.get_by_label("Kind").select_option(label="Call")
    form.get_by_label("Day", exact=True).fill(due.date().isoformat())
    form.get_by_label("Time (empty: all day)").fill(due.strftime("%H:%M"))
    form.get_by_label("Reminder").select_option(label="15 minutes before")
    form.get_by_role("button", name="Add").click()
    today = page.get_by_test_id("tasks-today").or_(page.get_by_test_id("tasks-upcoming"))
    expect(today.first.get_by_text("Call Ivan about the offer")).to_be_visible()
    page.screenshot(path=screenshot_dir / "my-day.png", full_page=True)
    with tenant_scope(tenant):
        task = Task.objects.get(title="Call Ivan about the offer")
    assert task.kind == "call" and task.reminder_minutes_before == 15

    # Beat's sweep finds the reminder due: a notification and an email.
    assert send_due_reminders() == 1
    wait_for(lambda: smtp.messages)
    assert "Reminder: Call Ivan about the offer" in smtp.messages[0]["Subject"]

    page.get_by_role("link", name="Calendar").click()
    expect(page.get_by_test_id("unread-count")).to_have_text(re.compile(r"\b1$"))
    page.get_by_test_id("notifications").locator("summary").click()
    item = page.get_by_test_id("notification-menu").get_by_role(
        "link", name=re.compile("Reminder: Call Ivan about the offer")
    )
    expect(item).to_be_visible()
    page.screenshot(path=screenshot_dir / "notifications-menu.png")
    item.click()
    page.wait_for_url(f"**/tasks/{task.pk}/")
    expect(page.get_by_test_id("unread-count")).to_be_hidden()


def test_a_mentioned_colleague_sees_the_notification(
    page, new_page, screenshot_dir, transactional_db
):
    tenant, owner = make_workspace("Acme")
    priya_user = make_user(email="priya@acme.example", first_name="Priya", last_name="Sharma")
    priya = add_member(tenant, "manager", user=priya_user)
    ann = new_contact(priya, first_name="Ann", last_name="Lee")

    log_in(page, owner.user.email)
    page.goto(f"/contacts/{ann.pk}/")
    panel = page.get_by_test_id("comments-panel")
    panel.get_by_test_id("comment-body").fill("@priya could you call Ann tomorrow?")
    panel.get_by_role("button", name="Comment").click()
    comment = page.get_by_test_id("comments-panel").get_by_test_id("comment")
    expect(comment).to_contain_text("could you call Ann tomorrow?")
    expect(comment.locator("mark.mention")).to_have_text("@priya")
    page.screenshot(path=screenshot_dir / "contact-card-tasks-comments.png", full_page=True)

    colleague = new_page()
    log_in(colleague, "priya@acme.example")
    expect(colleague.get_by_test_id("unread-count")).to_have_text(re.compile(r"\b1$"))
    colleague.get_by_test_id("notifications").locator("summary").click()
    item = colleague.get_by_test_id("notification-menu").get_by_role(
        "link", name=re.compile("mentioned you on Ann Lee")
    )
    expect(item).to_be_visible()
    colleague.screenshot(path=screenshot_dir / "mention-notification.png")
    item.click()
    colleague.wait_for_url(re.compile(rf"/contacts/{ann.pk}/#comments$"))
    expect(colleague.get_by_test_id("comments-panel")).to_contain_text("could you call Ann")
    expect(colleague.get_by_test_id("unread-count")).to_be_hidden()


def test_a_task_is_dragged_to_another_day(page, screenshot_dir, transactional_db):
    tenant, owner = make_workspace("Acme")
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    source = monday + dt.timedelta(days=1)
    target = monday + dt.timedelta(days=3)
    task = new_task(owner, title="Quarterly review", day=source)
    log_in(page, owner.user.email)
    page.goto(f"/tasks/calendar/?date={source.isoformat()}")
    chip = page.get_by_test_id("cal-task").filter(has_text="Quarterly review")
    expect(chip).to_be_visible()
    drop = page.locator(f".cal-list[data-day='{target.isoformat()}']")
    box, goal = chip.bounding_box(), drop.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(
            box["x"] + (goal["x"] + goal["width"] / 2 - box["x"]) * i / 10,
            box["y"] + (goal["y"] + 20 - box["y"]) * i / 10,
        )
        page.wait_for_timeout(30)
    for dy in (22, 26, 30):  # linger over the day, as a hand does, so the drop lands there
        page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + dy)
        page.wait_for_timeout(60)
    page.mouse.up()
    with tenant_scope(tenant):
        wait_for(lambda: Task.objects.get(pk=task.pk).due_date == target)
    page.screenshot(path=screenshot_dir / "calendar-week.png", full_page=True)
    page.reload()
    expect(
        page.get_by_test_id(f"cal-day-{target.isoformat()}").get_by_test_id("cal-task")
    ).to_have_text(re.compile("Quarterly review"))


def test_my_day_and_the_month_on_a_phone(new_page, screenshot_dir, transactional_db):
    _tenant, owner = make_workspace("Acme")
    today = timezone.localdate()
    new_task(owner, title="Overdue call", hours=-26, kind="call")
    new_task(owner, title="Team meeting", day=today, kind="meeting")
    new_task(owner, title="Send the contract", hours=30)
    phone = new_page(viewport=PHONE)
    log_in(phone, owner.user.email)
    phone.goto("/tasks/")
    expect(phone.get_by_test_id("tasks-overdue")).to_contain_text("Overdue call")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing sticks out sideways
    phone.get_by_role("button", name="Mark done: Team meeting").click()
    expect(phone.get_by_test_id("tasks-done")).to_contain_text("Team meeting")
    phone.screenshot(path=screenshot_dir / "my-day-phone.png", full_page=True)
    phone.get_by_test_id("notifications").locator("summary").click()
    menu = phone.get_by_test_id("notification-menu")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    phone.goto("/tasks/calendar/?view=month")
    expect(phone.get_by_test_id("calendar")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=screenshot_dir / "calendar-month-phone.png", full_page=True)


def test_the_task_notification_and_settings_pages(page, screenshot_dir, transactional_db):
    tenant, owner = make_workspace("Acme")
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    task = new_task(owner, title="Demo for Ann", subject=ann, kind="meeting", hours=26)
    log_in(page, owner.user.email)
    page.goto(f"/tasks/{task.pk}/")
    expect(page.get_by_test_id("task-heading")).to_have_text("Demo for Ann")
    page.get_by_label("Result (optional)").fill("They want a pilot")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_test_id("task-status")).to_contain_text("They want a pilot")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.screenshot(path=screenshot_dir / "task-edit.png", full_page=True)

    page.goto("/settings/notifications/")
    page.get_by_label("Task reminders: by email").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Notification settings saved.")
    expect(page.get_by_label("Task reminders: by email")).not_to_be_checked()
    page.get_by_role("button", name="Create my calendar link").click()
    expect(page.get_by_test_id("feed-url")).to_contain_text("/calendar/cal_")
    page.screenshot(path=screenshot_dir / "notification-settings.png", full_page=True)
    with tenant_scope(tenant):
        assert Task.objects.get(pk=task.pk).completion_note == "They want a pilot"
