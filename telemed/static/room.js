/* The session room: keep the attendance card current (every 15 s, unless someone is typing
   in it) and activate "Join video" when it opens. Without JavaScript the card's buttons are
   plain forms and the page shows when the video opens. */
(function () {
  "use strict";
  var REFRESH_MS = 15000;

  var card = document.getElementById("room-attendance");
  function busy() {
    var active = document.activeElement;
    if (active && active !== document.body && card.contains(active)) {
      return true;
    }
    var fields = card.querySelectorAll("input:not([type=hidden]), textarea");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value !== fields[i].defaultValue) {
        return true;
      }
    }
    var open = card.querySelector("details[open]");
    return open !== null;
  }
  function refresh() {
    if (document.hidden || busy()) {
      return;
    }
    window.telemedFetch(card.dataset.refreshUrl)
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && !busy()) {
          card.innerHTML = html;
        }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }
  if (card && card.dataset.refreshUrl && window.fetch && window.telemedFetch) {
    window.setInterval(refresh, REFRESH_MS);
  }

  var join = document.getElementById("join-video");
  var wait = join && join.dataset.href ? Date.parse(join.dataset.opensAt) - Date.now() : NaN;
  // Within a day only: longer timeouts overflow and would fire at once.
  if (wait < 86400000) {
    window.setTimeout(function () {
      join.href = join.dataset.href;
      join.rel = "noopener";
      join.target = "_blank";
      join.classList.remove("disabled");
      join.removeAttribute("aria-disabled");
      join.removeAttribute("role");
      var note = document.getElementById("video-note");
      if (note) {
        note.remove();
      }
    }, Math.max(wait, 0));
  }
})();
