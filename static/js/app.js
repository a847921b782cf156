// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Move focus where the server asked: the error summary after a failed
  // submit, or the new row after "Add another user".
  function focusMarked() {
    var marked = document.querySelector("[data-autofocus]");
    if (marked) {
      marked.removeAttribute("data-autofocus");
      marked.focus();
    }
    var holder = document.querySelector("[data-focus-id]");
    if (holder) {
      var target = document.getElementById(holder.getAttribute("data-focus-id"));
      holder.removeAttribute("data-focus-id");
      if (target) target.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", focusMarked);
  document.addEventListener("htmx:after:settle", focusMarked);

  // A blur check swaps its row back with a morph, which keeps whatever is in
  // the field the partner is typing in. Fields they have left take the
  // server's normalized value ("k1a0b1" becomes "K1A 0B1").
  document.addEventListener("htmx:after:settle", function (event) {
    var row = event.target;
    if (!row.classList || !row.classList.contains("field")) return;
    row.querySelectorAll("input[value]").forEach(function (input) {
      if (input !== document.activeElement && input.type !== "password") {
        input.value = input.getAttribute("value");
      }
    });
  });

  // A second click while a full-page post is under way would post again. The
  // server creates one customer whatever happens; this only spares the wait.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
  });
  // Coming back with the browser's Back button: the form is usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
    });
  });
})();
