// Keeps a page's numbers current without a full reload: every minute it fetches the page again
// (served from the cache, renewed by the analytics job) and swaps in the sections marked
// data-live, by id. The chart refreshes itself from the series API (service-chart.js).
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !document.querySelector("[data-live]")) return;
  function refresh() {
    // "no-cache": ask every time, by ETag (a 304 when the job has not run since), rather than
    // reuse the copy the page's Cache-Control lets the browser keep for 30 s.
    fetch(location.pathname + location.search, { headers: { Accept: "text/html" }, cache: "no-cache" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (old) {
          var replacement = fresh.getElementById(old.id);
          if (!replacement) return;
          old.replaceWith(replacement);
          if (window.tremorLocalise) window.tremorLocalise(replacement);
        });
      })
      .catch(function () { /* offline: keep what is shown */ });
  }
  setInterval(refresh, 60000);
  window.tremorRefresh = refresh;
})();
