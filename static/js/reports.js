// Reports: the chart over a report's grouping (Apache ECharts, from our static files), drawn
// from the JSON the page carries; redrawn when htmx swaps in a new preview or page. The
// report type picker submits itself.
(function () {
  "use strict";

  function option(data) {
    if (data.type === "pie" || data.type === "funnel") {
      var first = data.series[0] || { data: [] };
      return {
        tooltip: { trigger: "item" },
        series: [{
          type: data.type, name: first.name, radius: data.type === "pie" ? "65%" : undefined,
          data: data.categories.map(function (c, i) { return { name: c, value: first.data[i] }; }),
        }],
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { show: data.series.length > 1, type: "scroll" },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        return { type: data.type, name: s.name, data: s.data, stack: data.type === "bar" ? "all" : undefined };
      }),
    };
  }

  function draw(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-report-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.reportChart);
      if (!source) return;
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option(JSON.parse(source.textContent)), true);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    document.querySelectorAll("[data-submit-on-change]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    var designer = document.getElementById("designer");
    if (designer && window.htmx) window.htmx.trigger(designer, "preview");
    // Columns are ordered by dragging: the form posts them in the order they stand.
    var columns = document.querySelector("[data-testid=columns]");
    if (columns && window.Sortable) {
      window.Sortable.create(columns, {
        animation: 150,
        onEnd: function () { if (window.htmx) window.htmx.trigger(designer, "preview"); },
      });
    }
  });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  window.addEventListener("resize", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
})();
