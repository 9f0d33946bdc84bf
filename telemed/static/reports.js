// Progressive enhancement of the reports dashboard: every <canvas class="report-chart"> becomes a
// Chart.js chart. The template always renders a data table next to the canvas, so when Chart.js
// is missing or the data cannot be read the canvas is simply left alone and nothing is lost.
//
// Contract (set by the template):
//   data-chart-type  "bar" | "line" | "horizontalBar"
//   data-chart       JSON {"labels": [...], "datasets": [{"label": "...", "data": [number|null]}],
//                          "y_label": "optional value-axis title", "stacked": false,
//                          "highlight": [true|false per label] (optional)}
// With "highlight", the chosen period's bars (or points) keep full colour and the months
// around it are paler; the template says so in words beside the chart.
// After drawing, canvas.dataset.rendered = "1" (browser tests wait for it).
(function () {
  "use strict";

  // Bootstrap's blue, orange, green, red, purple, grey: distinguishable and matching the UI.
  var PALETTE = ["#0d6efd", "#fd7e14", "#198754", "#dc3545", "#6f42c1", "#6c757d"];
  var TYPES = { bar: "bar", line: "line", horizontalBar: "bar" };

  var PALE = "59";  // alpha (35 %) appended to a palette colour outside the chosen period

  // The colour of one bar or point: pale when the chart highlights other labels. The legend
  // asks without a data index and gets the full colour.
  function shaded(colour, highlight) {
    return function (ctx) {
      var index = ctx.type === "data" ? ctx.dataIndex : ctx.p1DataIndex;
      return highlight.length && index !== undefined && !highlight[index] ? colour + PALE : colour;
    };
  }

  // The legend names each dataset in its full colour (Chart.js would take a bar chart's
  // swatch from its first bar, which may be a pale one).
  function legend(chart) {
    var items = window.Chart.defaults.plugins.legend.labels.generateLabels(chart);
    items.forEach(function (item) {
      item.fillStyle = item.strokeStyle = PALETTE[item.datasetIndex % PALETTE.length];
    });
    return items;
  }

  function buildConfig(kind, spec) {
    var horizontal = kind === "horizontalBar";
    var isLine = kind === "line";
    var highlight = Array.isArray(spec.highlight) ? spec.highlight : [];
    var values = [];
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = PALETTE[i % PALETTE.length];
      var paint = shaded(colour, highlight);
      values = values.concat(ds.data.filter(function (v) { return v !== null; }));
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: paint,
        borderColor: paint,
        segment: { borderColor: paint },
        pointRadius: function (ctx) { return highlight[ctx.dataIndex] ? 5 : 3; },
        borderWidth: isLine ? 2 : 0,
        fill: false,
        spanGaps: false  // a missing month is a gap, not a straight line pretending to be data
      };
    });
    // Counts must not get "0.5 referrals" ticks; rates and averages keep their decimals.
    var integers = values.every(function (v) { return Number.isInteger(v); });
    var stacked = Boolean(spec.stacked);
    var valueAxis = { beginAtZero: true, stacked: stacked, ticks: integers ? { precision: 0 } : {} };
    if (spec.y_label) { valueAxis.title = { display: true, text: String(spec.y_label) }; }
    // The chosen period's month reads in bold on the axis, even when its bar is zero.
    var categoryAxis = { stacked: stacked, ticks: { font: function (ctx) {
      return highlight[ctx.index] ? { weight: "bold" } : {};
    } } };
    return {
      type: TYPES[kind],
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,  // the template's wrapper div fixes the height
        animation: false,            // deterministic screenshots and browser tests
        // With horizontal bars the values run along x, so the value-axis settings move there.
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: { legend: { display: datasets.length > 1, labels: { generateLabels: legend } } }
      }
    };
  }

  function render(canvas) {
    if (canvas.dataset.rendered) { return; }
    var kind = canvas.dataset.chartType;
    if (!Object.prototype.hasOwnProperty.call(TYPES, kind)) { return; }
    try {
      var spec = JSON.parse(canvas.dataset.chart || "");
      new window.Chart(canvas, buildConfig(kind, spec));
      canvas.dataset.rendered = "1";
    } catch (err) {
      // Bad or unexpected data: the table beside the canvas still shows it; don't break the page.
      if (window.console) { console.warn("report chart not rendered:", err); }
    }
  }

  function init() {
    if (typeof window.Chart !== "function") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas.report-chart"), render);
  }

  // The script may be loaded at the end of <body> or with defer, after DOMContentLoaded fired.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
