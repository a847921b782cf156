// The pages hosting Stripe's elements (templates/stripe_elements/_page.html): Stripe takes the
// details and Stripe.js confirms the page's SetupIntent; the form posts only the PaymentMethod id
// Stripe hands back. A card is typed in Stripe's card element (confirmCardSetup); a US bank
// account is picked in Stripe's bank sign-in (collectBankAccountForSetup), then the SetupIntent is
// confirmed with the ACH authorization the page shows (confirmUsBankAccountSetup).
(function () {
  "use strict";
  const form = document.querySelector("form.stripe-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const secret = form.dataset.clientSecret;
  const holder = document.getElementById("holder");
  const button = form.querySelector("button[type=submit]");

  function show(id, message) {
    const place = document.getElementById(id);
    place.textContent = message;
    place.hidden = !message;
    place.closest(".field").classList.toggle("field-invalid", Boolean(message));
  }

  // Each kind: what confirms the SetupIntent with the holder's name, answering Stripe.js's result.
  const kinds = {
    card: function () {
      const card = stripe.elements().create("card");
      card.mount("#card-element");
      // Stripe's element says what is wrong as it is typed (localstripe's stand-in passes no event).
      card.on("change", function (event) {
        show("stripe-error", event && event.error ? event.error.message : "");
      });
      return function (name) {
        return stripe.confirmCardSetup(secret, {
          payment_method: { card: card, billing_details: { name: name } },
        });
      };
    },
    us_bank_account: function () {
      return async function (name) {
        const collected = await stripe.collectBankAccountForSetup({
          clientSecret: secret,
          params: { payment_method_type: "us_bank_account", payment_method_data: { billing_details: { name: name } } },
        });
        if (collected.error) return collected;
        if (collected.setupIntent.status === "requires_payment_method") {
          return { error: { message: "No account was chosen. Choose your bank and account to add it." } };
        }
        // The button's words accept the ACH authorization shown above it.
        return stripe.confirmUsBankAccountSetup(secret);
      };
    },
  };
  const confirm = kinds[form.dataset.kind]();

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const name = holder.value.trim();
    show("holder-error", name ? "" : holder.dataset.missing);
    holder.setAttribute("aria-invalid", name ? "false" : "true");
    if (!name) {
      holder.focus();
      return;
    }
    button.disabled = true;
    show("stripe-error", "");
    const result = await confirm(name);
    if (result.error || result.setupIntent.status !== "succeeded") {
      show("stripe-error", result.error && result.error.message
        ? result.error.message : "The method could not be saved. Check it and try again.");
      button.disabled = false;
      return;
    }
    form.elements.payment_method.value = result.setupIntent.payment_method;
    form.submit();
  });
})();
