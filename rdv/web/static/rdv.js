// rdv's own small script: CSRF header on every state-changing fetch, live updates over server-sent events,
// and swapping a fragment of HTML into the page. No framework, no inline script (the CSP forbids it).
(function () {
  "use strict";
  var SAFE = { GET: true, HEAD: true, OPTIONS: true };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every fetch that changes something carries the session's token; same-origin only, cookies included.
  var nativeFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    init = init || {};
    var method = (init.method || (input && input.method) || "GET").toUpperCase();
    if (!SAFE[method]) {
      var headers = new Headers(init.headers || (input && input.headers) || {});
      if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrfToken());
      init.headers = headers;
    }
    if (!init.credentials) init.credentials = "same-origin";
    return nativeFetch(input, init);
  };

  // Replace the element matched by `selector` with `html` (a fragment rendered by the server), keeping the
  // focus on the same id when the new fragment has it, so that keyboard users do not lose their place.
  function swap(selector, html) {
    var target = typeof selector === "string" ? document.querySelector(selector) : selector;
    if (!target) return null;
    var focusedId = document.activeElement && document.activeElement.id;
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    if (!fresh) return null;
    target.replaceWith(fresh);
    if (focusedId && fresh.querySelector) {
      var again = document.getElementById(focusedId);
      if (again && again !== document.activeElement) again.focus();
    }
    return fresh;
  }

  // Listen to server-sent events at `url`. `onEvent(type, data, event)` is called for each message (type
  // "message" unless the server names it; `handlers.types` lists named events to listen to). The browser
  // reconnects by itself after an error; if the stream is closed for good (e.g. after a 401), we retry with a
  // growing delay. `handlers.onState(connected)` tells the page so it can show that data may be stale.
  function live(url, onEvent, handlers) {
    handlers = handlers || {};
    var types = handlers.types || [];
    var delay = 1000, source = null, stopped = false, timer = null;
    function state(up) { if (handlers.onState) handlers.onState(up); }
    function open() {
      if (stopped) return;
      source = new EventSource(url, { withCredentials: true });
      source.onopen = function () { delay = 1000; state(true); };
      var deliver = function (event) {
        var data = event.data;
        try { data = JSON.parse(event.data); } catch (e) { /* plain text or HTML */ }
        onEvent(event.type, data, event);
      };
      source.onmessage = deliver;
      types.forEach(function (t) { source.addEventListener(t, deliver); });
      source.onerror = function () {
        state(false);
        if (source.readyState === EventSource.CLOSED) {
          source = null;
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
    }
    open();
    return {
      close: function () { stopped = true; clearTimeout(timer); if (source) source.close(); },
    };
  }

  // Forms marked data-confirm ask before they are sent (the message is in the page, hence translated).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  window.rdv = { csrfToken: csrfToken, swap: swap, live: live };
})();
