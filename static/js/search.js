// Instant suggestions for the service search: asks the services API for names matching what is
// typed (name, slug or alias) and offers them in the input's <datalist>. Without scripts the
// form still works: it submits to /search/.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-suggestions");
  if (!input || !list || !window.fetch) return;
  var url = input.getAttribute("data-suggest-url");
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = input.value.trim();
      if (text === last) return;
      last = text;
      // Shorter than two letters: what was offered for the longer text no longer applies.
      if (text.length < 2) { list.textContent = ""; return; }
      fetch(url + "?limit=8&search=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          // An answer to an older text (the visitor kept typing or deleted) is dropped.
          if (!body || input.value.trim() !== text) return;
          list.textContent = "";
          body.results.forEach(function (service) {
            var option = document.createElement("option");
            option.value = service.name;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
