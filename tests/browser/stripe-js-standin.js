// A local stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served by the browser
// walk in its place because this machine cannot reach Stripe. It offers the part of
// Stripe.js's documented surface that the shop's own /stripe-payment.js calls —
// Stripe(key), elements({mode, amount, currency, paymentMethodCreation,
// paymentMethodTypes}), elements.create("payment").mount(selector), elements.submit(),
// stripe.createPaymentMethod({elements}) and stripe.handleNextAction({clientSecret}) —
// with the same result shapes ({paymentMethod} or {error}). Instead of card fields in
// Stripe's iframe, the mounted element is a list of Stripe's test PaymentMethods
// (pm_card_visa, ...), which the local Stripe API stand-in (tests/src/fake_stripe.rs)
// charges the way Stripe's test mode does. The bank's check (3-D Secure) cannot run
// here: handleNextAction answers as Stripe.js does when the shopper fails it.
(function () {
  "use strict";
  var TEST_METHODS = ["pm_card_visa", "pm_card_chargeDeclined", "pm_card_authenticationRequired"];

  window.Stripe = function (publishableKey) {
    if (!/^pk_(test|live)_/.test(publishableKey || "")) {
      throw new Error("Invalid API Key provided: " + publishableKey);
    }
    window.__stripeStandIn = { publishableKey: publishableKey, elements: [] };
    return {
      elements: function (options) {
        var select = null;
        var group = {
          options: options,
          create: function (type) {
            if (type !== "payment") {
              throw new Error("This stand-in only offers the Payment Element.");
            }
            return {
              mount: function (target) {
                var host = typeof target === "string" ? document.querySelector(target) : target;
                select = document.createElement("select");
                select.setAttribute("data-standin-card", "");
                select.setAttribute("aria-label", "Test card");
                ["", ...TEST_METHODS].forEach(function (id) {
                  var option = document.createElement("option");
                  option.value = id;
                  option.textContent = id || "Choose a test card";
                  select.appendChild(option);
                });
                host.appendChild(select);
              },
            };
          },
          submit: function () {
            if (select && select.value) {
              return Promise.resolve({});
            }
            return Promise.resolve({
              error: { type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete." },
            });
          },
          chosen: function () {
            return select ? select.value : "";
          },
        };
        window.__stripeStandIn.elements.push(options);
        return group;
      },
      createPaymentMethod: function (params) {
        var id = params && params.elements ? params.elements.chosen() : "";
        if (!id) {
          return Promise.resolve({
            error: { type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete." },
          });
        }
        return Promise.resolve({ paymentMethod: { id: id, object: "payment_method", type: "card" } });
      },
      handleNextAction: function (params) {
        window.__stripeStandIn.nextAction = params && params.clientSecret;
        return Promise.resolve({
          error: {
            type: "invalid_request_error",
            code: "payment_intent_authentication_failure",
            message:
              "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
          },
        });
      },
    };
  };
})();
