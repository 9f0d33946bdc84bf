/* telemedFetch(url, options): fetch with the session cookie, and on a changing request
   (anything but GET and HEAD) the page's CSRF token in X-CSRFToken, from
   <meta name="csrf-token"> in base.html. The JSON API refuses a cookie-authenticated
   POST, PUT, PATCH or DELETE without it, so another site cannot make one for the user. */
(function () {
  "use strict";
  window.telemedFetch = function (url, options) {
    var init = Object.assign({ credentials: "same-origin" }, options || {});
    var method = (init.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      var meta = document.querySelector("meta[name='csrf-token']");
      var headers = new Headers(init.headers || {});
      if (meta && !headers.has("X-CSRFToken")) {
        headers.set("X-CSRFToken", meta.content);
      }
      init.headers = headers;
    }
    return window.fetch(url, init);
  };
})();
