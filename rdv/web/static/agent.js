// The agent screen: live fragments from /agent/events, commands and dispositions sent with fetch, the RDV
// sheet checked as the agent types, and one-key shortcuts (shown on the buttons) outside of text fields.
(function () {
  "use strict";
  var root = document.getElementById("agent");
  if (!root || !window.rdv) return;
  var checkTimer = null, stateAt = Date.now(), callAt = Date.now();

  function toast(message, ok) {
    var box = document.getElementById("agent-toast");
    box.textContent = message;
    box.className = "toast" + (ok ? "" : " bad");
    box.hidden = !message;
  }

  function post(form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return { ok: r.ok, message: "" }; }); });
  }

  // State bar and call controls: each form is one command for the dialer.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-command")) {
      event.preventDefault();
      post(form).then(function (answer) { if (!answer.ok) toast(answer.message, false); });
    } else if (form.hasAttribute("data-dispose")) {
      event.preventDefault();
      var ask = form.getAttribute("data-confirm-text");
      if (ask && !window.confirm(ask)) return;
      dispose(form);
    } else if (form.id === "sheet") {
      event.preventDefault();
      dispose(form);
    }
  });

  function dispose(form) {
    post(form).then(function (answer) {
      showErrors(answer.errors || {}, form.id === "sheet");
      var error = form.querySelector(".form-error");
      if (error) error.textContent = answer.ok ? "" : answer.message;
      toast(answer.message, answer.ok);
    });
  }

  function showErrors(errors, focusFirst) {
    var first = null;
    document.querySelectorAll("[data-error-for]").forEach(function (span) {
      var key = span.getAttribute("data-error-for");
      span.textContent = errors[key] || "";
      var field = document.getElementById("field-" + key);
      var inputs = field ? field.querySelectorAll("input, select, textarea") : [];
      if (!field) inputs = document.querySelectorAll('[aria-describedby~="msg-' + key + '"]');
      inputs.forEach(function (input) { input.setAttribute("aria-invalid", errors[key] ? "true" : "false"); });
      if (errors[key] && !first && inputs.length) first = inputs[0];
    });
    if (focusFirst && first) first.focus();
  }

  // The sheet: checked on the server as the agent types (the rules and messages live there).
  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(function () {
      var sheet = document.getElementById("sheet");
      if (!sheet) return;
      fetch(sheet.getAttribute("data-check"), { method: "POST", body: new FormData(sheet),
                                                 headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          var errors = answer.errors || {};
          document.querySelectorAll("#sheet [data-error-for]").forEach(function (span) {
            var key = span.getAttribute("data-error-for");
            if (key !== "slot") span.textContent = errors[key] || "";
          });
          window.rdv.swap("#sheet-verdict", answer.verdict);
        });
    }, 120);
  }

  function fillClosing() {
    var select = document.getElementById("sheet-slot");
    var option = select && select.selectedOptions[0];
    var values = option && option.value ? { date: option.getAttribute("data-date"),
      heure_debut: option.getAttribute("data-start"), heure_fin: option.getAttribute("data-end") } : {};
    ["date", "heure_debut", "heure_fin"].forEach(function (name) {
      document.querySelectorAll('#script [data-field="' + name + '"]').forEach(function (piece) {
        if (!piece.hasAttribute("data-marker")) piece.setAttribute("data-marker", piece.textContent);
        piece.textContent = values[name] || piece.getAttribute("data-marker");
        piece.className = values[name] ? "field" : "missing";
      });
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#sheet")) scheduleCheck();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "sheet-slot") fillClosing();
    if (event.target.closest && event.target.closest("#sheet")) scheduleCheck();
  });

  // Shortcuts: a key shown on a button presses it; F goes to the sheet; Ctrl+Enter saves the sheet.
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && document.getElementById("sheet")) {
      event.preventDefault();
      document.getElementById("sheet").requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.altKey || event.metaKey) return;
    var key = event.key.toLowerCase();
    if (key === "f") {
      var first = document.querySelector("#sheet input:not([type=hidden]), #sheet select");
      if (first) { event.preventDefault(); first.focus(); }
      return;
    }
    var target = document.querySelector('[data-key="' + key + '"]:not([disabled])');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "SELECT" || target.tagName === "INPUT") target.focus();
    else target.click();
  });

  // Timers: time in the current state, and the wrap-up countdown, ticking between fragments.
  function tick() {
    var now = Date.now();
    var bar = document.getElementById("agent-state");
    var ticker = document.querySelector("[data-ticker]");
    if (bar && ticker && bar.getAttribute("data-elapsed") !== "") {
      var s = Math.max(0, parseInt(bar.getAttribute("data-elapsed"), 10) + Math.floor((now - stateAt) / 1000));
      ticker.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }
    var status = document.getElementById("agent-callstatus");
    var countdown = document.querySelector("[data-countdown]");
    if (status && countdown && status.getAttribute("data-remaining") !== "") {
      countdown.textContent = Math.max(0, parseInt(status.getAttribute("data-remaining"), 10) -
                                       Math.floor((now - callAt) / 1000));
    }
  }

  // The slot and callback pickers are filled once the pop shows, so that the pop itself stays quick.
  function loadOffers(panel) {
    var url = panel.getAttribute("data-offers");
    if (!url) return;
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); })
      .then(function (offers) {
        if (document.getElementById("agent-call") !== panel) return;
        [["sheet-slot", offers.slots], ["callback-at", offers.callbacks]].forEach(function (pair) {
          var select = document.getElementById(pair[0]);
          if (!select) return;
          while (select.options.length > 1) select.remove(1);
          select.querySelectorAll("optgroup").forEach(function (g) { g.remove(); });
          select.insertAdjacentHTML("beforeend", pair[1]);
        });
        panel.setAttribute("data-offers-loaded", "1");
      });
  }

  // A new call replaces the call panel; the same call keeps it (what the agent typed stays), and only its
  // status line is replaced.
  function onCall(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    var current = document.getElementById("agent-call");
    if (!fresh || !current) return;
    if (current.getAttribute("data-attempt") === fresh.getAttribute("data-attempt") && fresh.getAttribute("data-attempt")) {
      var status = fresh.querySelector("#agent-callstatus");
      if (status) window.rdv.swap("#agent-callstatus", status.outerHTML);
    } else {
      var wasCall = current.getAttribute("data-attempt");
      current.replaceWith(fresh);
      if (fresh.getAttribute("data-attempt")) {
        toast("", true);
        loadOffers(fresh);
        var title = document.getElementById("lead-name");
        if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
        document.title = title ? title.textContent.trim() + " · rdv" : document.title;
      } else if (wasCall) {
        document.title = root.getAttribute("data-title") || document.title;
      }
    }
  }

  root.setAttribute("data-title", document.title);
  var first = document.getElementById("agent-call");
  if (first && first.getAttribute("data-attempt")) loadOffers(first);
  window.rdv.live(root.getAttribute("data-events"), function (type, data) {
    if (type === "state") { stateAt = Date.now(); window.rdv.swap("#agent-state", data); }
    else if (type === "call") { callAt = Date.now(); onCall(data); }
    tick();
  }, { types: ["state", "call"], onState: function (up) { document.getElementById("agent-live").hidden = up; } });
  setInterval(tick, 1000);
  tick();
})();
