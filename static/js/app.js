// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Move focus to whatever the server marked (the error summary, a new row).
  function focusMarked(root) {
    var target = (root || document).querySelector("[data-autofocus]");
    if (target) {
      target.focus();
      target.removeAttribute("data-autofocus");
    }
  }

  document.addEventListener("DOMContentLoaded", function () { focusMarked(document); });
  document.addEventListener("htmx:after:settle", function () { focusMarked(document); });

  // A second click on a submit button while the page is already posting
  // would post twice; the server would still create one customer, but the
  // partner should see that the first click was taken.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    window.setTimeout(function () { delete form.dataset.submitting; }, 10000);
  });
})();
