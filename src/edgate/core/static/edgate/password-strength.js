/* Password strength meter: scores the new password with zxcvbn as it is typed.
 *
 * The page works without this script: the server scores the submitted password and the meter
 * shows its verdict after a submit. Here the meter follows the typing; the text beside it is a
 * polite live region, written only when the verdict changes and after a pause in the typing, so
 * a screen reader announces "Password strength: strong" once rather than on every key.
 * The browser's estimate is advice: the server's rules (breached passwords, the person's birth
 * date, …) still decide, and say why next to the field.
 */
(function () {
  "use strict";
  var PAUSE_MS = 400;
  var SCORED_LENGTH = 64; // as the server: longer passwords are scored by their start

  function setUp(box) {
    var input = document.getElementById(box.getAttribute("data-strength-for"));
    if (!input || typeof window.zxcvbn !== "function") {
      return;
    }
    var meter = box.querySelector("meter");
    var text = box.querySelector("[aria-live]");
    var minLength = parseInt(box.getAttribute("data-min-length"), 10) || 0;
    var wordsNode = document.getElementById(box.id + "_words");
    var words = wordsNode ? JSON.parse(wordsNode.textContent) : [];
    var timer = null;

    function say(message) {
      if (text.textContent !== message) {
        text.textContent = message;
      }
    }

    function update() {
      var value = input.value;
      if (!value) {
        meter.value = 0;
        say("");
        return;
      }
      if (value.length < minLength) {
        meter.value = 0;
        say(box.getAttribute("data-label-short"));
        return;
      }
      var score = window.zxcvbn(value.slice(0, SCORED_LENGTH), words).score;
      meter.value = score;
      say(box.getAttribute("data-label-" + score));
    }

    box.hidden = false;
    input.setAttribute(
      "aria-describedby",
      ((input.getAttribute("aria-describedby") || "") + " " + box.id + "_text").trim()
    );
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, PAUSE_MS);
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-strength-for]");
    for (var i = 0; i < boxes.length; i += 1) {
      setUp(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
