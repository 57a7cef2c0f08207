/* "Print this page" buttons: a page marks its button's container with data-edgate-print and
   the `hidden` attribute; it is shown (and works) only when this script runs. No inline script:
   the Content-Security-Policy allows scripts from this site only. */
document.querySelectorAll("[data-edgate-print]").forEach(function (container) {
  var button = container.querySelector("button");
  if (!button) return;
  button.addEventListener("click", function () { window.print(); });
  container.hidden = false;
});
