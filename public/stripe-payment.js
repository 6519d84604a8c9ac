// Stripe's Payment Element on the checkout's payment step, and the bank's check
// (3-D Secure) on the page of an order waiting for it. Loaded only on those two pages,
// after Stripe.js (https://js.stripe.com/v3/), which the CSP allows there and nowhere else.
//
// Payment step: the element is created in "deferred" mode (amount and currency from the
// server's totals); on submit it creates a PaymentMethod and puts its id in the form,
// which then posts as usual — the server creates and confirms the PaymentIntent.
// Order page of an order still waiting for its payment: `handleNextAction` with the
// intent's client secret; a failed or abandoned check shows Stripe's message (no
// reload), a finished one reloads to show the order as the webhook left it. The same
// page's "pay with another card" form uses the Payment Element as above.
(function () {
  "use strict";
  if (typeof Stripe !== "function") {
    // Stripe.js did not load (blocked or offline): say so where the card form should be.
    var slots = document.querySelectorAll("[data-payment-error], [data-authenticate-error]");
    for (var i = 0; i < slots.length; i++) {
      slots[i].textContent =
        "The secure card form could not load. Check your connection, then reload the page. Nothing was charged.";
    }
    return;
  }

  function showError(el, message) {
    if (el) {
      el.textContent = message;
    }
  }

  var payment = document.querySelector("[data-stripe-payment]");
  if (payment) {
    var stripe = Stripe(payment.dataset.publishableKey);
    var elements = stripe.elements({
      mode: "payment",
      amount: Number(payment.dataset.amount),
      currency: payment.dataset.currency,
      paymentMethodCreation: "manual",
      // Only cards: what the server confirms without sending the shopper elsewhere.
      paymentMethodTypes: ["card"],
    });
    elements.create("payment").mount("#payment-element");
    var form = payment.closest("form");
    var field = form.querySelector('input[name="payment_method"]');
    var errorEl = payment.querySelector("[data-payment-error]");
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (field.value) {
        return;
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      elements
        .submit()
        .then(function (result) {
          if (result.error) {
            throw result.error;
          }
          return stripe.createPaymentMethod({ elements: elements });
        })
        .then(function (result) {
          if (result.error) {
            throw result.error;
          }
          field.value = result.paymentMethod.id;
          form.submit();
        })
        .catch(function (error) {
          busy = false;
          showError(errorEl, error.message || "Your card could not be used. Check it and try again.");
        });
    });
  }

  var authenticate = document.querySelector("[data-stripe-authenticate]");
  if (authenticate) {
    var stripeForOrder = Stripe(authenticate.dataset.publishableKey);
    var button = authenticate.querySelector("button");
    var authError = authenticate.querySelector("[data-authenticate-error]");
    var confirm = function () {
      button.disabled = true;
      stripeForOrder
        .handleNextAction({ clientSecret: authenticate.dataset.clientSecret })
        .then(function (result) {
          if (result && result.error) {
            // Failed or abandoned: say so, and leave both ways open (confirm again, or
            // pay with another card below).
            button.disabled = false;
            showError(authError, (result.error.message || "Your bank did not confirm the payment.") +
              " No money was taken; try again or pay with another card below.");
            return;
          }
          // The webhook decides; give it a moment, then show the order as it is.
          setTimeout(function () {
            window.location.reload();
          }, 1500);
        })
        .catch(function () {
          button.disabled = false;
          showError(authError, "Your bank's check could not start. Try again, or pay with another card below.");
        });
    };
    button.addEventListener("click", confirm);
  }
})();
