// Rewrites every <time data-local> (rendered in UTC by the server) into the visitor's own time
// zone; the UTC time stays in the title attribute, shown on hover.
(function () {
  "use strict";
  var formats = {
    // The zone is named, as the server's "04:55 UTC" is: "04:55 EST".
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    datetime: { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    date: { year: "numeric", month: "short", day: "numeric" },
  };
  function localise(root) {
    (root || document).querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var options = formats[el.getAttribute("data-local")] || formats.time;
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    });
  }
  window.tremorLocalise = localise;
  localise(document);
})();
