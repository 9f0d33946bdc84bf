// Progressive enhancement of the reports dashboard: every <canvas class="report-chart"> becomes a
// Chart.js chart. The template always renders a data table next to the canvas, so when Chart.js
// is missing or the data cannot be read the canvas is simply left alone and nothing is lost.
//
// Contract (set by the template):
//   data-chart-type  "bar" | "line" | "horizontalBar"
//   data-chart       JSON {"labels": [...], "datasets": [{"label": "...", "data": [number|null]}],
//                          "y_label": "optional value-axis title", "stacked": false}
// After drawing, canvas.dataset.rendered = "1" (browser tests wait for it).
(function () {
  "use strict";

  // Bootstrap's blue, orange, green, red, purple, grey: distinguishable and matching the UI.
  var PALETTE = ["#0d6efd", "#fd7e14", "#198754", "#dc3545", "#6f42c1", "#6c757d"];
  var TYPES = { bar: "bar", line: "line", horizontalBar: "bar" };

  function buildConfig(kind, spec) {
    var horizontal = kind === "horizontalBar";
    var isLine = kind === "line";
    var values = [];
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = PALETTE[i % PALETTE.length];
      values = values.concat(ds.data.filter(function (v) { return v !== null; }));
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: colour,
        borderColor: colour,
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
    var categoryAxis = { stacked: stacked };
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
        plugins: { legend: { display: datasets.length > 1 } }
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
