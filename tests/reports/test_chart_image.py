"""The chart of a subscription's mail: every chart type becomes a PNG on the server, its
Vega-Lite spec carrying the report's categories in order and every series."""

from __future__ import annotations

import struct

import pytest

from reports import chart_image

CHART = {
    "categories": ["2026-01", "2026-02", "2026-03"],
    "series": [{"name": "Ann Lee", "data": [100.0, 250.5, 0]},
               {"name": "Борис", "data": [0, 400.0, 75.0]}],
}  # fmt: skip


@pytest.mark.parametrize("kind", ["bar", "line", "pie", "funnel"])
def test_every_chart_type_renders_a_png(kind):
    data = chart_image.png({**CHART, "type": kind}, "Won by manager")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width >= chart_image.WIDTH and height >= chart_image.HEIGHT // 2


def test_the_spec_keeps_the_categories_order_and_every_series():
    spec = chart_image.vega_lite({**CHART, "type": "bar"})
    values = spec["data"]["values"]
    assert len(values) == 6
    assert {v["series"] for v in values} == {"Ann Lee", "Борис"}
    assert spec["encoding"]["x"]["sort"] == CHART["categories"]
    assert spec["encoding"]["color"]["field"] == "series"  # two series: coloured, side by side
    one = chart_image.vega_lite({"type": "bar", **{**CHART, "series": CHART["series"][:1]}})
    assert "color" not in one["encoding"]
