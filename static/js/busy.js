// Feedback while an action runs, and no second submit meanwhile; every page works without it.
//
// An action is a form submit or a button's own request (a field's blur check is not: it
// shows "Checking…" by CSS and never blocks anything). While it runs its button says
// what is happening (data-busy-label="Adding…") and is aria-disabled, the region htmx
// will replace has aria-busy="true", and the form takes no other submit.
// aria-disabled rather than disabled: a disabled button drops keyboard focus to the
// page, and a disabled submitter would leave its name=value out of a full-page post.
(function () {
  "use strict";

  var idleLabels = new WeakMap();

  function submitButtons(form) {
    return form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]");
  }

  // The button that was pressed, and any other with its name and value (step 2's hidden
  // Enter button stands for the visible "Create Customer").
  function pressedButtons(form, submitter) {
    if (!submitter) return [];
    if (!form) return [submitter];
    return Array.prototype.filter.call(submitButtons(form), function (button) {
      return button === submitter || (button.name === submitter.name && button.value === submitter.value);
    });
  }

  function markBusy(buttons) {
    buttons.forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
      var label = button.getAttribute("data-busy-label");
      if (label && !idleLabels.has(button)) {
        idleLabels.set(button, button.innerHTML);
        button.textContent = label;
      }
    });
  }

  function markIdle(buttons) {
    buttons.forEach(function (button) {
      button.removeAttribute("aria-disabled");
      if (idleLabels.has(button)) {
        button.innerHTML = idleLabels.get(button);
        idleLabels.delete(button);
      }
    });
  }

  function isBusy(form) {
    return form && Number(form.dataset.busy || 0) > 0;
  }

  function addBusy(form, step) {
    if (!form) return;
    var count = Math.max(0, Number(form.dataset.busy || 0) + step);
    if (count) form.dataset.busy = String(count);
    else delete form.dataset.busy;
  }

  // A press on a busy button, or on any button of a busy form, does nothing.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button, input[type=submit]");
    if (!button) return;
    if (button.getAttribute("aria-disabled") === "true" || (button.type === "submit" && isBusy(button.form))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    if (isBusy(event.target)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A full-page submit (htmx did not take it): busy until the next page replaces this one.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    addBusy(event.target, 1);
    markBusy(pressedButtons(event.target, event.submitter));
  });
  // Coming back with the browser's Back button: the page is usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      delete form.dataset.busy;
      markIdle(submitButtons(form));
    });
  });

  // An htmx action: from a form (its submitter pressed) or from a button of its own.
  document.addEventListener("htmx:before:request", function (event) {
    var ctx = event.detail.ctx;
    var source = ctx.sourceElement;
    var form = null;
    var buttons = [];
    if (source.matches("form")) {
      form = source;
      buttons = pressedButtons(form, ctx.sourceEvent && ctx.sourceEvent.submitter);
    } else if (source.matches("button, input[type=submit]")) {
      form = source.form;
      buttons = [source];
    } else {
      return;  // a field's check, a search as you type, a link: nothing to block
    }
    var target = ctx.target instanceof Element ? ctx.target : null;
    ctx.busy = { form: form, buttons: buttons, target: target };
    addBusy(form, 1);
    markBusy(buttons);
    if (target && target !== document.body) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:finally:request", function (event) {
    var busy = event.detail.ctx.busy;
    if (!busy) return;
    addBusy(busy.form, -1);
    markIdle(busy.buttons);
    if (busy.target) busy.target.removeAttribute("aria-busy");
  });
})();
