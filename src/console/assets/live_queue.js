// Keeps the alert queue current without reloading the page: every alert change on the
// server-sent event stream fetches the queue's rows again (changes close together are fetched
// once), and so does every minute, because the order follows the clock (deadlines draw nearer).
// Served by Aegis itself; nothing else is loaded.
(function () {
  "use strict";
  var rows = document.querySelector("[data-live]");
  if (!rows || !window.EventSource) { return; }
  var count = document.querySelector("[data-count]");
  var staleHeading = document.querySelector("[data-stale-heading]");
  var waiting = false;
  function refresh() {
    if (waiting) { return; }
    waiting = true;
    setTimeout(function () {
      fetch("/alerts/rows", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          waiting = false;
          if (html === null) { return; }
          rows.innerHTML = html;
          if (count) {
            count.textContent = String(rows.querySelectorAll("li[data-alert-id]:not(.stale)").length);
          }
          if (staleHeading) {
            var stale = rows.querySelectorAll("li[data-alert-id].stale").length;
            staleHeading.textContent = stale > 0 ? " · " + stale + " stale, below" : "";
          }
        })
        .catch(function () { waiting = false; });
    }, 150);
  }
  var stream = new EventSource("/alerts/live");
  stream.onmessage = refresh;
  setInterval(refresh, 60000);
})();
