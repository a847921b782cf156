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

  // The polite live region (#announcer in base.html) says what changed without a page load:
  // a field's new message after its blur check, and the text of any swapped-in element
  // marked data-announce="…" (a removed row, say).
  var lastMessage = {};
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) return;
    // Emptied first, so the same words said twice are announced twice.
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  document.addEventListener("htmx:after:settle", function (event) {
    var said = [];
    var row = event.target;
    if (row.classList && row.classList.contains("field") && row.id) {
      var error = row.querySelector(".field-error");
      var message = error ? error.textContent.replace(/\s+/g, " ").trim() : "";
      if (message && message !== lastMessage[row.id]) said.push(message);
      lastMessage[row.id] = message;
    }
    document.querySelectorAll("[data-announce]").forEach(function (marked) {
      said.push(marked.getAttribute("data-announce"));
      marked.removeAttribute("data-announce");
    });
    announce(said.join(" "));
  });

  // Disclosures (<details data-disclosure>: "+ Tag" and its field, the "More" menu) open and
  // close by HTML alone. Here opening one focuses its [data-open-focus] element, Escape closes
  // it and gives focus back to its summary, and a click or focus elsewhere closes it.
  function closeDisclosure(details, refocus) {
    details.open = false;
    if (refocus) details.querySelector("summary").focus();
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("details[data-disclosure]") || !details.open) return;
    var first = details.querySelector("[data-open-focus]");
    if (first) first.focus();
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var details = event.target.closest("details[data-disclosure][open]");
    if (details) closeDisclosure(details, true);
  });

  function closeOthers(target) {
    document.querySelectorAll("details[data-disclosure][open]").forEach(function (details) {
      if (!details.contains(target)) closeDisclosure(details, false);
    });
  }
  document.addEventListener("click", function (event) { closeOthers(event.target); });
  document.addEventListener("focusin", function (event) { closeOthers(event.target); });

  // Error-summary links show the whole field (label, hint and message), not just the
  // input at the window's top edge, as GOV.UK's do; focus then goes to the input.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) return;
    var field = input.closest(".field, fieldset") || input;
    event.preventDefault();
    field.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
})();
