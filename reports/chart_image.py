"""A report's chart as a PNG, drawn on the server for the mail: the series present.chart
gives, as a Vega-Lite spec rendered by vl-convert (no browser, no network)."""

from __future__ import annotations

import vl_convert

WIDTH, HEIGHT = 560, 280


def vega_lite(chart: dict, title: str = "") -> dict:
    """The Vega-Lite spec of present.chart's data: bar (grouped by series), line, pie or
    funnel (bars sorted from the largest)."""
    values = [
        {"category": category, "series": s["name"], "value": s["data"][i]}
        for s in chart["series"]
        for i, category in enumerate(chart["categories"])
    ]
    many = len(chart["series"]) > 1
    color = {"field": "series", "type": "nominal", "title": None}
    x = {"field": "category", "type": "nominal", "sort": chart["categories"], "title": None}
    y = {"field": "value", "type": "quantitative", "title": None}
    kind = chart.get("type") or "bar"
    if kind == "pie":
        mark, encoding = {"type": "arc"}, {
            "theta": {"field": "value", "type": "quantitative", "aggregate": "sum"},
            "color": {"field": "category", "type": "nominal", "sort": chart["categories"],
                      "title": None},
        }  # fmt: skip
    elif kind == "line":
        mark, encoding = {"type": "line", "point": True}, {"x": x, "y": y}
        if many:
            encoding["color"] = color
    elif kind == "funnel":
        mark = {"type": "bar"}
        encoding = {"y": {**x, "sort": "-x"}, "x": {**y, "aggregate": "sum"}}
    else:
        mark, encoding = {"type": "bar"}, {"x": x, "y": y}
        if many:
            encoding["color"] = color
            encoding["xOffset"] = {"field": "series"}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": WIDTH, "height": HEIGHT, "background": "white",
        "data": {"values": values}, "mark": mark, "encoding": encoding,
    }  # fmt: skip
    if title:
        spec["title"] = title
    return spec


def png(chart: dict, title: str = "") -> bytes:
    return vl_convert.vegalite_to_png(vl_spec=vega_lite(chart, title), scale=1)
