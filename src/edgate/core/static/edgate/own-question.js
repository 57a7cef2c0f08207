/* "Your own question" shown only when "I will write my own question" is chosen
 * (core/widgets/own_question.html). Progressive enhancement: the server always sends the box,
 * so without JavaScript it is there; with it, the box's form group is hidden while the Password
 * Hint Question list has another choice, and shown as soon as "write my own" is chosen. A page
 * restored by Back (the choice kept by the browser) is set again on `pageshow`.
 */
(function () {
  "use strict";

  var updates = [];

  function setUp(input) {
    if (input.getAttribute("data-ready")) {
      return;
    }
    input.setAttribute("data-ready", "1");
    var form = input.form;
    var choice = form && form.querySelector("select[name$='hint_question_choice']");
    var group = input.closest(".usa-form-group");
    if (!choice || !group) {
      return;
    }
    var own = input.getAttribute("data-own-question");
    function update() {
      group.hidden = choice.value !== own;
    }
    choice.addEventListener("change", update);
    updates.push(update);
    update();
  }

  function all() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-own-question]"), setUp);
    updates.forEach(function (update) {
      update();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
  window.addEventListener("pageshow", all);
})();
