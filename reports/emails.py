"""A subscription's mail, in the recipient's language: the groups (and the first detail rows)
as an HTML table, the chart as an inline PNG (also a plain attachment for clients that hide
inline images), and the link to the report."""

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


def send_report(sub, outcome) -> None:
    """Call inside the recipient's language (delivery does)."""
    report, user = sub.report, sub.recipient
    image = chart_png(outcome, report.name)
    context = {
        "report": report, "user": user, "tenant": sub.tenant,
        "table": present.table(outcome.spec, outcome.result), "result": outcome.result,
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
        part = email.message.MIMEPart()
        part.set_content(image, maintype="image", subtype="png", disposition="inline",
                         filename="chart.png", cid=f"<{CHART_CID}>")  # fmt: skip
        message.attach(part)
    message.send()
