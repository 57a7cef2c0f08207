// The error summary (core/includes/error_summary.html) takes focus when the page opens, so a
// screen reader reads it first; `autofocus` does the same where scripts do not run. A link in it
// moves focus to its field (a plain fragment link only scrolls).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  if (document.activeElement !== summary) {
    summary.focus();
  }
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    target.focus();
    var group = target.closest(".usa-form-group, .usa-fieldset");
    (group || target).scrollIntoView({ block: "start" });
    history.replaceState(null, "", link.getAttribute("href"));
  });
})();
