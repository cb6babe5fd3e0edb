// Keeps an alert's page current: when any alert changes (the server-sent event stream), the
// page is fetched again and, if this alert moved on (its `data-updated` differs), reloaded —
// unless the officer is typing a note, whose words a reload would lose. Served by Aegis
// itself; nothing else is loaded.
(function () {
  "use strict";
  var mark = document.querySelector("[data-updated]");
  if (!mark || !window.EventSource) { return; }
  var seen = mark.getAttribute("data-updated");
  var waiting = false;
  function typing() {
    var a = document.activeElement;
    return a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a.value;
  }
  function check() {
    if (waiting) { return; }
    waiting = true;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          waiting = false;
          var m = html && html.match(/data-updated="([^"]+)"/);
          if (m && m[1] !== seen && !typing()) { location.reload(); }
        })
        .catch(function () { waiting = false; });
    }, 200);
  }
  new EventSource("/alerts/live").onmessage = check;
})();
