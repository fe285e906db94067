// Reko console: draws the plots of a page with uPlot (loaded before this file). Each plot is an
// element with data-plot (its kind), data-series (uPlot's data, [[x...], [y...], ...], as JSON
// written by the server) and, for plots of several series, data-labels (the series' labels, x
// first); no inline script, as the Content-Security-Policy allows none.
(function () {
  "use strict";
  var KINDS = {
    "per-day": { x: "day (UTC)", y: "interactions", time: true },
    "long-tail": { x: "item rank", y: "interactions of the item", time: false },
    history: { x: "history length (interactions, bucket start)", y: "users", time: false, logX: true },
    // pad: a plot of one x value shows this much either side of it (uPlot would span years);
    // whole: the x values are ordinals (versions, trials), ticked at whole numbers.
    metrics: { time: false, pad: 1, whole: true },
    trials: { time: false, pad: 1, whole: true },
    rate: { time: true, pad: 300 },
    "tps-hours": { time: true, pad: 300 },
    "per-minute": { time: true, pad: 60 },
    latency: { time: true, pad: 60 },
    "events-per-minute": { time: true, pad: 60 },
  };
  var COLORS = ["#1a5fb4", "#c01c28", "#26a269", "#e66100", "#813d9c", "#865e3c", "#1c71d8", "#a51d2d", "#5e5c64"];
  function draw(el) {
    var kind = KINDS[el.getAttribute("data-plot")];
    var data = JSON.parse(el.getAttribute("data-series"));
    if (!kind || !data || !data[0] || data[0].length === 0) {
      return;
    }
    var labels = el.hasAttribute("data-labels") ? JSON.parse(el.getAttribute("data-labels")) : [kind.x, kind.y];
    var series = [{ label: labels[0] }];
    for (var i = 1; i < data.length; i++) {
      var color = COLORS[(i - 1) % COLORS.length];
      series.push({
        label: labels[i] || "series " + i,
        stroke: color,
        // One filled series reads as an area; several are lines.
        fill: data.length === 2 ? "rgba(26, 95, 180, 0.12)" : undefined,
        width: 1.5,
        points: { show: data[0].length <= 60 },
        spanGaps: false,
      });
    }
    var x = { time: kind.time };
    if (kind.logX) {
      x.distr = 3;
      x.log = 2;
    }
    var axes = [{}, {}];
    if (kind.whole) {
      axes[0] = { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] };
    }
    var opts = {
      width: Math.min(560, Math.max(320, el.clientWidth || 560)),
      height: 260,
      // Days and minutes are UTC: show them in UTC whatever the browser's zone.
      tzDate: function (ts) {
        return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
      },
      scales: { x: x },
      axes: axes,
      legend: { show: true },
      series: series,
    };
    el.textContent = "";
    var plot = new uPlot(opts, data, el);
    var xs = data[0];
    if (kind.pad && xs[0] === xs[xs.length - 1]) {
      plot.setScale("x", { min: xs[0] - kind.pad, max: xs[0] + kind.pad });
    }
  }
  document.querySelectorAll("[data-plot]").forEach(draw);
})();
