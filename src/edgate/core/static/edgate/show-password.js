/* "Show password" under every password box (core/widgets/password.html).
 *
 * Hand-written rather than USWDS's usa-show-password behaviour: that one sets aria-pressed to
 * the opposite of what is on screen from the second press on ("Show password, pressed" while the
 * password is hidden) and needs its button in the page without JavaScript, where it does nothing.
 * Here, as GOV.UK Frontend's password input does: the button is in the page but hidden until
 * this script runs; its words say what it will do; a polite status says what it did; and the
 * box is masked again before the form is sent (so the browser sees a password field, and a page
 * restored from the back-forward cache starts masked).
 */
(function () {
  "use strict";

  function mask(input, button, status, shown, announce) {
    input.type = shown ? "text" : "password";
    button.textContent = button.getAttribute(shown ? "data-hide-text" : "data-show-text");
    // Several boxes on one page (change password: current, new, again): each button's name
    // says which box it is for, after its visible words (WCAG 2.5.3, label in name). Hidden
    // words inside the button rather than aria-label, so the box's own label stays the only
    // label that names it (a label lookup by a screen reader's or a test's "find by label"
    // would otherwise find the button too).
    var field = button.getAttribute("data-field");
    if (field) {
      var named = document.createElement("span");
      named.className = "usa-sr-only";
      named.textContent = ": " + field;
      button.appendChild(named);
    }
    if (announce) {
      status.textContent = button.getAttribute(shown ? "data-shown-status" : "data-hidden-status");
    }
  }

  function setUp(box) {
    if (box.getAttribute("data-ready")) {
      return;
    }
    var button = box.querySelector("button");
    var status = box.querySelector("[aria-live]");
    var input = document.getElementById(button.getAttribute("aria-controls"));
    if (!input) {
      return;
    }
    box.setAttribute("data-ready", "1");
    input.setAttribute("autocapitalize", "none");
    input.setAttribute("autocorrect", "off");
    input.setAttribute("spellcheck", "false");
    var label = input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
    if (label) {
      button.setAttribute("data-field", label.textContent.replace(/\s+/g, " ").trim());
    }
    mask(input, button, status, false, false);
    button.addEventListener("click", function () {
      mask(input, button, status, input.type === "password", true);
    });
    if (input.form) {
      input.form.addEventListener("submit", function () {
        mask(input, button, status, false, false);
      });
    }
    window.addEventListener("pageshow", function () {
      mask(input, button, status, false, false);
    });
    box.hidden = false;
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-show-password]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
