// Draws a report chart (reports per bucket against the baseline) with uPlot from the data
// embedded in the page (#chart-data), in place of the server-drawn SVG; shades incident periods,
// and, when the data names a series URL, refreshes every minute and switches between 24 hours
// and 7 days (summed per hour). The filling interval is a dot, "so far", not the end of the line
// (a minute-old interval holds a minute of reports). Times are shown in the visitor's time zone,
// named in the legend. "Show as a table" renders the same numbers as an HTML table.
(function () {
  "use strict";
  var holder = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!holder || !source || typeof uPlot === "undefined") return;
  var data = JSON.parse(source.textContent);
  var hours = data.hours || 24;
  var styles = getComputedStyle(document.documentElement);
  var color = function (name) { return styles.getPropertyValue(name).trim(); };
  var bands = data.bands || [];  // [[start, end or null], ...] in epoch seconds
  var filling = data.filling !== false;
  var zone = document.getElementById("chart-zone");
  if (zone) {
    var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(new Date());
    var name = parts.filter(function (p) { return p.type === "timeZoneName"; })[0];
    if (name) zone.textContent = "· times in " + name.value;
  }

  // [t, reports without the filling interval, typical, the filling interval alone].
  function columns(t, reports, expected) {
    var line = reports.slice(), dot = reports.map(function () { return null; });
    if (filling && t.length) {
      dot[t.length - 1] = reports[t.length - 1];
      line[t.length - 1] = null;
    }
    return [t, line, expected, dot];
  }

  // Seven days of 5-minute intervals summed per hour: 168 points a screen can show.
  function hourly(t, reports, expected) {
    var out = [[], [], []];
    t.forEach(function (moment, i) {
      var hour = Math.floor(moment / 3600) * 3600, last = out[0].length - 1;
      if (last < 0 || out[0][last] !== hour) {
        out[0].push(hour); out[1].push(0); out[2].push(0); last += 1;
      }
      out[1][last] += reports[i];
      out[2][last] = Math.round((out[2][last] + expected[i]) * 100) / 100;
    });
    return out;
  }

  function shadeIncidents(u) {
    var ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = color("--band");
    bands.forEach(function (band) {
      var left = u.valToPos(band[0], "x", true);
      var right = u.valToPos(band[1] || u.scales.x.max, "x", true);
      left = Math.max(left, u.bbox.left);
      right = Math.min(right, u.bbox.left + u.bbox.width);
      if (right > left) ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
    });
    ctx.restore();
  }

  function options(width) {
    return {
      width: width,
      height: 260,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(5, max * 1.1)]; } } },
      axes: [
        { stroke: color("--muted"), grid: { stroke: color("--border") } },
        { stroke: color("--muted"), grid: { stroke: color("--border") } },
      ],
      series: [
        {},
        { label: "Reports", stroke: color("--problems"), fill: color("--fill"), width: 2 },
        { label: "Typical", stroke: color("--typical"), dash: [6, 4], width: 1.5 },
        { label: "So far", stroke: color("--problems"), width: 0, points: { show: true, size: 9, fill: color("--problems") } },
      ],
      hooks: { drawClear: [shadeIncidents] },
    };
  }

  holder.innerHTML = "";  // the server-drawn chart, for visitors without scripts
  var plot = new uPlot(options(holder.clientWidth || 600), columns(data.t, data.reports, data.expected), holder);
  window.tremorChart = plot;
  window.addEventListener("resize", function () {
    plot.setSize({ width: holder.clientWidth || 600, height: 260 });
  });

  var tableBox = document.getElementById("chart-table");
  var tableButton = document.getElementById("chart-table-button");
  function renderTable() {
    if (!tableBox || tableBox.hidden) return;
    var when = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    var rows = plot.data[0].map(function (t, i) {
      var soFar = plot.data[3][i] !== null;
      return "<tr><td>" + when.format(new Date(t * 1000)) + (soFar ? " (so far)" : "") + "</td><td>" +
        (soFar ? plot.data[3][i] : plot.data[1][i]) + "</td><td>" + plot.data[2][i] + "</td></tr>";
    });
    tableBox.innerHTML = "<table class=\"incidents\"><thead><tr><th scope=\"col\">Interval start</th>" +
      "<th scope=\"col\">Reports</th><th scope=\"col\">Typical</th></tr></thead><tbody>" +
      rows.join("") + "</tbody></table>";
  }
  if (tableBox && tableButton) {
    tableButton.hidden = false;
    tableButton.addEventListener("click", function () {
      tableBox.hidden = !tableBox.hidden;
      tableButton.setAttribute("aria-expanded", String(!tableBox.hidden));
      tableButton.textContent = tableBox.hidden ? "Show as a table" : "Hide the table";
      renderTable();
    });
  }

  if (!data.series_url) return;
  function refresh() {
    // Revalidated by ETag each time (a 304 until the next analytics run).
    fetch(data.series_url + "?hours=" + hours, { headers: { Accept: "application/json" }, cache: "no-cache" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        var t = [], reports = [], expected = [];
        body.points.forEach(function (p) {
          t.push(Date.parse(p.start) / 1000);
          reports.push(p.reports);
          expected.push(Math.round(p.expected * 100) / 100);
        });
        bands = (body.incidents || []).map(function (i) {
          return [Date.parse(i.started_at) / 1000, i.ended_at ? Date.parse(i.ended_at) / 1000 : null];
        });
        var view = hours > 24 ? hourly(t, reports, expected) : [t, reports, expected];
        plot.setData(columns(view[0], view[1], view[2]));
        renderTable();
      })
      .catch(function () { /* keep the last drawn data when offline */ });
  }
  document.querySelectorAll("[data-chart-hours]").forEach(function (button) {
    button.addEventListener("click", function () {
      hours = Number(button.getAttribute("data-chart-hours"));
      document.querySelectorAll("[data-chart-hours]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      refresh();
    });
  });
  setInterval(refresh, 60000);
})();
