// Lead files: send the chosen file as the request body (so that the server can refuse a file too large before
// reading it, and nothing spools it first), and follow an import's progress over server-sent events.
(function () {
  "use strict";

  function showError(form, text) {
    var box = document.getElementById("upload-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "upload-error";
      box.className = "alert";
      box.setAttribute("role", "alert");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = text;
  }

  var form = document.getElementById("upload-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      if (!file || !window.fetch) return; // the browser's own multipart form then
      event.preventDefault();
      if (file.size > Number(form.dataset.limit)) { showError(form, form.dataset.tooBig); return; }
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      fetch(form.action + "?name=" + encodeURIComponent(file.name), {
        method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
      }).then(function (response) {
        if (response.ok && response.redirected) { window.location.assign(response.url); return null; }
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var error = page.getElementById("upload-error") || page.querySelector(".alert");
          showError(form, error ? error.textContent : String(response.status));
          if (button) button.disabled = false;
        });
      }).catch(function () {
        showError(form, form.dataset.failed || "…");
        if (button) button.disabled = false;
      });
    });
  }

  var job = document.getElementById("job");
  if (job && job.dataset.status === "running" && window.rdv) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var pattern = text ? text.dataset.pattern : "";
    var stream = window.rdv.live(job.dataset.live, function (type, data) {
      if (type === "done") { stream.close(); window.location.reload(); return; }
      if (!data || !bar) return;
      bar.max = Math.max(data.total, data.done, 1);
      bar.value = data.done;
      if (text && pattern) text.textContent = pattern.replace("{done}", data.done.toLocaleString("fr-FR"))
        .replace("{total}", data.total.toLocaleString("fr-FR"));
    }, { types: ["progress", "done"] });
  }
})();
