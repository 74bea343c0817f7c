// The sales dashboard's charts (Apache ECharts), from the figures the page embeds as JSON.
// The tables beside each chart carry the same numbers, for reading and for screen readers.
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function chart(id, option, hasData, labels) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) return;
    if (!hasData) {
      node.classList.add("chart-empty");
      node.textContent = labels.empty;
      return;
    }
    var instance = window.echarts.init(node, null, { renderer: "svg" });
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
  }

  function start() {
    var data = read("dashboard-data");
    var labels = read("dashboard-labels");
    if (!data || !labels) return;
    var lang = document.documentElement.lang || "en";
    var money = new Intl.NumberFormat(lang, {
      style: "currency", currency: data.currency, maximumFractionDigits: 0,
    });
    var grid = { left: 8, right: 8, top: 24, bottom: 8, containLabel: true };

    var months = data.dynamics.map(function (m) { return m.month; });
    chart("chart-dynamics", {
      grid: grid,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return money.format(v); } },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return money.format(v); } } },
      series: [{
        name: labels.won, type: "bar", itemStyle: { color: "#3b5bdb" },
        data: data.dynamics.map(function (m) { return Number(m.won_amount); }),
      }],
    }, data.dynamics.some(function (m) { return Number(m.won_amount) > 0; }), labels);

    var stages = data.funnel.stages || [];
    chart("chart-funnel", {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        name: labels.reached, type: "funnel", sort: "none", left: "10%", width: "80%",
        minSize: "8%", label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: stages.map(function (s) { return { name: s.name, value: s.reached }; }),
      }],
    }, stages.some(function (s) { return s.reached > 0; }), labels);

    chart("chart-sources", {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        name: labels.created, type: "pie", radius: ["40%", "70%"],
        data: data.sources.map(function (s) { return { name: s.source, value: s.created }; }),
      }],
    }, data.sources.length > 0, labels);

    var reasons = data.lost_reasons.slice().reverse();
    chart("chart-lost", {
      grid: grid,
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: reasons.map(function (r) { return r.reason; }) },
      series: [{
        name: labels.lost, type: "bar", itemStyle: { color: "#e8590c" },
        data: reasons.map(function (r) { return r.lost; }),
      }],
    }, reasons.length > 0, labels);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
