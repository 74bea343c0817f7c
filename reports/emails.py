"""A subscription's mail, in the recipient's language: the groups (and the first detail rows)
as an HTML table, the chart as an inline PNG (also a plain attachment for clients that hide
inline images), and the link to the report. A dashboard's mail: each widget's chart as its
own inline PNG, its table or KPI number in the body, and the link to the dashboard."""

from __future__ import annotations

import dataclasses
import email.message

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from . import chart_image, present

CHART_CID = "report-chart@crm"


def chart_png(outcome, title: str) -> bytes | None:
    """The report's chart, or a bar chart of its first grouping when it has none drawn."""
    spec = outcome.spec
    if spec.group_by and not spec.chart:
        spec = dataclasses.replace(spec, chart="bar")
    chart = present.chart(spec, outcome.result)
    return chart_image.png(chart, title) if chart else None


def _image_part(image: bytes, cid: str, filename: str) -> email.message.MIMEPart:
    part = email.message.MIMEPart()
    part.set_content(image, maintype="image", subtype="png", disposition="inline",
                     filename=filename, cid=f"<{cid}>")  # fmt: skip
    return part


def send_dashboard(sub, shown) -> None:
    """Call inside the recipient's language (delivery does). `shown`: board_run's widgets."""
    board, user = sub.dashboard, sub.recipient
    widgets, images = [], []
    for item in shown:
        title = item.widget.title or item.widget.report.name
        cid = ""
        if item.chart:
            image = chart_image.png(item.chart, title)
            if image:
                cid = f"widget-{item.widget.pk}@crm"
                images.append(_image_part(image, cid, f"widget-{item.widget.pk}.png"))
        widgets.append({"shown": item, "title": title, "cid": cid})
    site = settings.SITE_URL.rstrip("/")
    context = {
        "board": board, "user": user, "tenant": sub.tenant, "widgets": widgets,
        "link": site + reverse("board", args=[board.pk]),
        "manage_link": site + reverse("report_subscriptions"),
    }  # fmt: skip
    subject = render_to_string("reports/email/dashboard_subject.txt", context)
    text = render_to_string("reports/email/dashboard.txt", context)
    html = render_to_string("reports/email/dashboard.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, None, [user.email])
    message.attach_alternative(html, "text/html")
    for part in images:
        message.attach(part)
    message.send()


def send_report(sub, outcome) -> None:
    """Call inside the recipient's language (delivery does)."""
    report, user = sub.report, sub.recipient
    image = chart_png(outcome, report.name)
    context = {
        "report": report, "user": user, "tenant": sub.tenant,
        "table": present.table(outcome.spec, outcome.result, sub.tenant.currency),
        "result": outcome.result,
        "link": settings.SITE_URL.rstrip("/") + reverse("report_run", args=[report.pk]),
        "chart_cid": CHART_CID if image else "",
        "manage_link": settings.SITE_URL.rstrip("/") + reverse("report_subscriptions"),
    }  # fmt: skip
    subject = render_to_string("reports/email/subscription_subject.txt", context)
    text = render_to_string("reports/email/subscription.txt", context)
    html = render_to_string("reports/email/subscription.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, None, [user.email])
    message.attach_alternative(html, "text/html")
    if image:
        message.attach(_image_part(image, CHART_CID, "chart.png"))
    message.send()
