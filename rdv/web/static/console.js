// The supervisor's console: the wallboard and agent table (or one agent's call) live over server-sent events,
// the time in state counted up every second, and the campaign's controls sent without leaving the page.
(function () {
  "use strict";
  if (!window.rdv) return;
  var offset = 0; // the server's clock minus this browser's, from the last fragment received

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (sec < 10 ? "0" : "") + sec;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // Fragments carry the server's clock (data-now): durations count from it, not from this PC's clock.
  function syncClock(id) {
    var el = document.getElementById(id);
    var now = el && Number(el.getAttribute("data-now"));
    if (now) offset = now - Date.now();
  }

  function tick(scope) {
    var now = Date.now() + offset;
    document.querySelectorAll(scope + " [data-since]").forEach(function (cell) {
      var since = Number(cell.getAttribute("data-since"));
      if (since) cell.textContent = duration(now - since);
    });
  }

  // Follow `url`, swapping each fragment of an event of `type` into the element of the same id.
  function follow(root, url, type, ids, scope) {
    var texts = document.getElementById("live-texts");
    var state = document.getElementById("live-state");
    function showState(up) {
      if (state && texts) {
        state.textContent = texts.getAttribute(up ? "data-on" : "data-off");
        state.classList.toggle("off", !up);
      }
      root.classList.toggle("live-off", !up);
    }
    window.rdv.live(url, function (eventType, data) {
      if (eventType !== type || !data) return;
      ids.forEach(function (id) { if (data[id]) window.rdv.swap("#" + id, data[id]); });
      syncClock(ids[0]);
      tick(scope);
      root.setAttribute("data-updated", String(Date.now()));
    }, { types: [type], onState: showState });
    syncClock(ids[0]);
    setInterval(function () { tick(scope); }, 1000);
  }

  var board = document.querySelector("[data-live]");
  if (board) follow(board, board.getAttribute("data-live"), "board", ["board", "agents"], "#agents");
  var call = document.querySelector("[data-live-call]");
  if (call) follow(call, call.getAttribute("data-live-call"), "call", ["call"], "#call");

  // Controls: the server answers with the controls again (a message, or the refusal next to the field).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-controls]")) return;
    var button = event.submitter;
    var ask = button && button.getAttribute("data-ask");
    event.preventDefault();
    if (ask && !window.confirm(ask)) return;
    var body = new FormData(form);
    if (button && button.name) body.append(button.name, button.value);
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    // getAttribute: `form.action` would be the button named "action".
    fetch(form.getAttribute("action"), { method: "POST", body: body, headers: { "X-Rdv-Fragment": "1" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (html.trim().indexOf('<section id="controls"') !== 0) { window.location.reload(); return; }
        var fresh = window.rdv.swap("#controls", html);
        var invalid = fresh && fresh.querySelector('[aria-invalid="true"]');
        if (invalid) invalid.focus();
      })
      .catch(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
  });
})();
