// The service page is cached whole and served to everyone, so its report form arrives without
// this visitor's CSRF token, "shown at" stamp and proof-of-work challenge. This fetches them
// (reports.views.report_form_state) and fills them in. A press before they arrive waits for
// them; if they never arrive the form is sent anyway and the server asks to confirm.
(function () {
  "use strict";
  var form = document.querySelector("form.report-form[data-state]");
  if (!form || !window.fetch) return;
  var ready = false;

  function set(name, value) {
    var field = form.querySelector("[name=" + name + "]");
    if (field) field.value = value;
  }

  // At most 5 s: after that the form is sent as it is, and the server asks to confirm.
  var timeout = new Promise(function (resolve) { setTimeout(resolve, 5000, null); });
  var request = fetch(form.getAttribute("data-state"), {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  var loaded = Promise.race([request, timeout])
    .then(function (r) { return r && r.ok ? r.json() : null; })
    .then(function (state) {
      if (!state) return;
      set("csrfmiddlewaretoken", state.csrf_token);
      set("shown", state.form_shown);
      if (state.pow_challenge) {
        set("pow_challenge", state.pow_challenge);
        set("pow_counter", "");
        form.setAttribute("data-pow", String(state.pow_bits));
      }
    })
    .catch(function () { /* offline or refused: the server asks to confirm */ })
    .then(function () { ready = true; });

  // Registered before proof-of-work.js's listener, so the work starts on a filled-in form.
  var waiting = false;  // one press waits; more presses meanwhile add nothing
  form.addEventListener("submit", function (event) {
    if (ready) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (waiting) return;
    waiting = true;
    var submitter = event.submitter;
    loaded.then(function () { form.requestSubmit(submitter); });
  });
})();
