// Draws the service page's 24-hour chart (reports per bucket against the baseline) with uPlot,
// from the data embedded in the page, and refreshes it from the series API every minute.
(function () {
  "use strict";
  var holder = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!holder || !source || typeof uPlot === "undefined") return;
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  var color = function (name) { return styles.getPropertyValue(name).trim(); };

  function options(width) {
    return {
      width: width,
      height: 260,
      // Tremor shows UTC everywhere (the page says so); the browser's zone comes with issue 4.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(5, max * 1.1)]; } } },
      axes: [
        { stroke: color("--muted"), grid: { stroke: color("--border") } },
        { stroke: color("--muted"), grid: { stroke: color("--border") } },
      ],
      series: [
        {},
        { label: "Reports", stroke: color("--problems"), fill: "rgba(207,34,46,0.12)", width: 2 },
        { label: "Typical", stroke: color("--muted"), dash: [6, 4], width: 1.5 },
      ],
    };
  }

  var plot = new uPlot(options(holder.clientWidth || 600), [data.t, data.reports, data.expected], holder);
  window.tremorChart = plot;

  window.addEventListener("resize", function () {
    plot.setSize({ width: holder.clientWidth || 600, height: 260 });
  });

  function refresh() {
    fetch(data.series_url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        var t = [], reports = [], expected = [];
        body.points.forEach(function (p) {
          t.push(Date.parse(p.start) / 1000);
          reports.push(p.reports);
          expected.push(Math.round(p.expected * 100) / 100);
        });
        plot.setData([t, reports, expected]);
      })
      .catch(function () { /* keep the last drawn data when offline */ });
  }
  setInterval(refresh, 60000);
})();
