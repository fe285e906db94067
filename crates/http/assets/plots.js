// Reko console: draws the plots of a page with uPlot (loaded before this file). Each plot is an
// element with data-plot (its kind) and data-series (uPlot's data, [[x...], [y...]], as JSON
// written by the server); no inline script, as the Content-Security-Policy allows none.
(function () {
  "use strict";
  var KINDS = {
    "per-day": { x: "day (UTC)", y: "interactions", time: true },
    "long-tail": { x: "item rank", y: "interactions of the item", time: false },
  };
  function draw(el) {
    var kind = KINDS[el.getAttribute("data-plot")];
    var data = JSON.parse(el.getAttribute("data-series"));
    if (!kind || !data || !data[0] || data[0].length === 0) {
      return;
    }
    var opts = {
      width: Math.min(560, Math.max(320, el.clientWidth || 560)),
      height: 260,
      // Days start at midnight UTC: show them in UTC whatever the browser's zone.
      tzDate: function (ts) {
        return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
      },
      scales: { x: { time: kind.time } },
      legend: { show: true },
      series: [
        { label: kind.x },
        {
          label: kind.y,
          stroke: "#1a5fb4",
          fill: "rgba(26, 95, 180, 0.12)",
          width: 1.5,
          points: { show: data[0].length <= 60 },
        },
      ],
    };
    el.textContent = "";
    new uPlot(opts, data, el);
  }
  document.querySelectorAll("[data-plot]").forEach(draw);
})();
