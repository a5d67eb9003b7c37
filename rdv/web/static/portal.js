// The visit report form: offer only the reasons of the chosen outcome (the server checks the pair anyway).
(function () {
  "use strict";
  function filterReasons() {
    var outcome = document.getElementById("outcome");
    var reason = document.getElementById("reason");
    if (!outcome || !reason) { return; }
    var groups = reason.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var match = !outcome.value || groups[i].getAttribute("data-outcome") === outcome.value;
      groups[i].hidden = !match;
      groups[i].disabled = !match;
    }
    var chosen = reason.selectedOptions[0];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) { reason.value = ""; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var outcome = document.getElementById("outcome");
    if (outcome) { outcome.addEventListener("change", filterReasons); filterReasons(); }
  });
})();
