/* Password strength meter: scores the new password with zxcvbn as it is typed.
 *
 * The page works without this script: the server scores the submitted password and the meter
 * shows its verdict after a submit. Here the meter follows the typing; the text beside it is a
 * polite live region, written only when the verdict changes and after a pause in the typing, so
 * a screen reader announces "Password strength: strong" once rather than on every key; the bar
 * is hidden from screen readers (the text says the same).
 * The browser's estimate is advice: the server's rules (breached passwords, the person's birth
 * date, …) still decide, and say why next to the field.
 */
(function () {
  "use strict";
  var PAUSE_MS = 400;
  var SCORED_LENGTH = 64; // as the server: longer passwords are scored by their start

  var LETTER = /[A-Za-z\u00C0-\u024F]/;

  // The server refuses a password that contains the person's name or birth date (4 letters or
  // more anywhere; a 3-letter name only at the start or end of a run of letters). zxcvbn finds
  // them as matches of its "user_inputs" dictionary, leet spellings included.
  function containsRefused(sample, sequence, refused) {
    for (var i = 0; i < sequence.length; i += 1) {
      var match = sequence[i];
      if (match.pattern !== "dictionary" || match.dictionary_name !== "user_inputs") {
        continue;
      }
      if (refused.indexOf(match.matched_word) < 0 || match.matched_word.length < 3) {
        continue;
      }
      if (match.matched_word.length >= 4 || /[^a-z]/.test(match.matched_word)) {
        return true;
      }
      var before = match.i > 0 && LETTER.test(sample.charAt(match.i - 1));
      var after = match.j < sample.length - 1 && LETTER.test(sample.charAt(match.j + 1));
      if (!before || !after) {
        return true;
      }
    }
    return false;
  }

  function setUp(box) {
    var input = document.getElementById(box.getAttribute("data-strength-for"));
    if (!input || typeof window.zxcvbn !== "function") {
      return;
    }
    var meter = box.querySelector("meter");
    var text = box.querySelector("[aria-live]");
    var minLength = parseInt(box.getAttribute("data-min-length"), 10) || 0;
    var wordsNode = document.getElementById(box.id + "_words");
    var given = wordsNode ? JSON.parse(wordsNode.textContent) : {};
    var words = given.inputs || [];
    var refused = given.refused || [];
    var timer = null;

    function say(message) {
      if (text.textContent !== message) {
        text.textContent = message;
      }
    }

    // The bar's look (edgate.css): "refused" the whole bar in error red; none, by its value
    // (-1: nothing to draw; zxcvbn's 0 to 4 from a red sliver to a full green bar).
    function show(score, isRefused, message) {
      meter.value = score;
      if (isRefused) {
        box.setAttribute("data-state", "refused");
      } else {
        box.removeAttribute("data-state");
      }
      say(message);
    }

    function update() {
      var value = input.value;
      if (!value) {
        show(-1, false, "");
        return;
      }
      if (value.length < minLength) {
        // Still being typed: said plainly, not drawn as refused at the first key.
        show(-1, false, box.getAttribute("data-label-short"));
        return;
      }
      var sample = value.slice(0, SCORED_LENGTH);
      var result = window.zxcvbn(sample, words);
      if (containsRefused(sample, result.sequence, refused)) {
        show(-1, true, box.getAttribute("data-label-personal"));
        return;
      }
      show(result.score, false, box.getAttribute("data-label-" + result.score));
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
    if (input.value) {
      update(); // typed, or filled in by a password manager, before the script started
    }
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
