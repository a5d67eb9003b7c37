// The supervisor's console: live wallboard and agent table over server-sent events, the time each agent has
// spent in their state counted up every second, and the campaign's controls sent without leaving the page.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.rdv) return;
  var offset = 0; // the server's clock minus this browser's, from the last fragment received

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (sec < 10 ? "0" : "") + sec;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function syncClock() {
    var board = document.getElementById("board");
    var now = board && Number(board.getAttribute("data-now"));
    if (now) offset = now - Date.now();
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("#agents [data-since]").forEach(function (cell) {
      var since = Number(cell.getAttribute("data-since"));
      if (since) cell.textContent = duration(now - since);
    });
  }

  var texts = document.getElementById("live-texts");
  var state = document.getElementById("live-state");
  function showState(up) {
    if (!state || !texts) return;
    state.textContent = texts.getAttribute(up ? "data-on" : "data-off");
    state.classList.toggle("off", !up);
    root.classList.toggle("live-off", !up);
  }

  window.rdv.live(root.getAttribute("data-live"), function (type, data) {
    if (type !== "board" || !data) return;
    window.rdv.swap("#board", data.board);
    window.rdv.swap("#agents", data.agents);
    syncClock();
    tick();
    root.setAttribute("data-updated", String(Date.now()));
    document.dispatchEvent(new CustomEvent("rdv:board", { detail: data }));
  }, { types: ["board"], onState: showState });

  syncClock();
  setInterval(tick, 1000);

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

// An agent's page: the current call follows the agent live.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-call]");
  if (!root || !window.rdv) return;
  var offset = 0;
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (sec < 10 ? "0" : "") + sec;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }
  function sync() {
    var call = document.getElementById("call");
    var now = call && Number(call.getAttribute("data-now"));
    if (now) offset = now - Date.now();
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("#call [data-since]").forEach(function (cell) {
      var since = Number(cell.getAttribute("data-since"));
      if (since) cell.textContent = duration(now - since);
    });
  }
  window.rdv.live(root.getAttribute("data-live-call"), function (type, data) {
    if (type !== "call" || !data) return;
    window.rdv.swap("#call", data.call);
    sync();
    tick();
  }, { types: ["call"] });
  sync();
  setInterval(tick, 1000);
})();
