// The portal's "Add a card" with Stripe (templates/portal/stripe_card.html): Stripe's card element
// takes the details, Stripe.js confirms the page's SetupIntent, and the form posts only the
// PaymentMethod id Stripe hands back.
(function () {
  "use strict";
  const form = document.getElementById("stripe-card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const holder = document.getElementById("card-holder");
  const button = form.querySelector("button[type=submit]");

  function show(id, message) {
    const place = document.getElementById(id);
    place.textContent = message;
    place.hidden = !message;
    place.closest(".field").classList.toggle("field-invalid", Boolean(message));
  }

  // Stripe's element says what is wrong as it is typed (localstripe's stand-in passes no event).
  card.on("change", function (event) {
    show("card-element-error", event && event.error ? event.error.message : "");
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const name = holder.value.trim();
    show("card-holder-error", name ? "" : "Enter the name on the card");
    holder.setAttribute("aria-invalid", name ? "false" : "true");
    if (!name) {
      holder.focus();
      return;
    }
    button.disabled = true;
    const result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
      payment_method: { card: card, billing_details: { name: name } },
    });
    if (result.error) {
      show("card-element-error", result.error.message || "The card could not be saved. Check it and try again.");
      button.disabled = false;
      return;
    }
    form.elements.payment_method.value = result.setupIntent.payment_method;
    form.submit();
  });
})();
