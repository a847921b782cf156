// All Customers: "select all on this page" and the count of selected rows.
// Without this file each row's checkbox still works; the select-all box stays hidden.
(function () {
  "use strict";

  function rowBoxes(form) {
    return form.querySelectorAll('input[name="customer_id"]');
  }

  function refresh(form) {
    var boxes = rowBoxes(form);
    var checked = 0;
    boxes.forEach(function (box) { if (box.checked) checked += 1; });
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.hidden = false;
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = checked ? checked + " selected" : "";
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || form.id !== "bulk-tags") return;
    if (event.target.matches("[data-select-all]")) {
      rowBoxes(form).forEach(function (box) { box.checked = event.target.checked; });
    }
    refresh(form);
  });

  function init() {
    var form = document.getElementById("bulk-tags");
    if (form) refresh(form);
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:after:settle", init);
})();
