//! The checkout context: contact, shipping address, shipping method, review and payment,
//! every amount computed on the server in minor units. The checkout's state lives in
//! the cart's object (one consistent writer for a cart and its checkout); holding stock
//! and placing the order run there too (see [`procedure`]), so each step the shopper
//! takes is one call from the worker.
//!
//! [`Checkout`] is the service both front doors call; [`review`] prices what a cart
//! object answered from the current catalog (no Durable Object involved).

pub mod object;
pub mod procedure;
pub mod protocol;

use crate::cart::protocol::{Answer, CartCommand, Refusal, Snapshot};
use crate::cart::{CartClient, Carts, Changed};
use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::payments::Provider;
use crate::timing::today_utc;
use futures_util::future::join;
use protocol::{CheckoutAnswer, CheckoutCommand, CompleteCommand, Completed, CHECKOUT_PATH};
pub use protocol::{NotRun, Outcome};
use shared::checkout::{card_digits, rates_for, shippable_countries, AddressInput, Email, IdempotencyKey};
use shared::payments::valid_payment_method;
use shared::review::{countries_offering, review_cart, Review};
use shared::CartId;
use worker::Env;

/// Prices a cart as its object answered, from the current catalog.
pub async fn review(catalog: &CatalogReader<'_>, snapshot: Snapshot) -> AppResult<Review> {
    let (site, settings) = join(catalog.site(), catalog.settings()).await;
    let products = catalog::load_products(catalog, &snapshot.state.lines).await?;
    review_cart(snapshot.state, &products, settings?, site?.store.currency, &snapshot.available, &today_utc())
        .map_err(|e| AppError::internal("pricing a cart", e))
}

/// What a completion request says.
#[derive(Clone, Debug)]
pub struct CompleteRequest {
    pub idempotency_key: IdempotencyKey,
    /// The card number, for the test provider.
    pub card: String,
    /// The Stripe PaymentMethod the payment page created, for Stripe.
    pub payment_method: Option<String>,
    /// The total the shopper saw; if the server's differs, nothing is charged.
    pub expected_total: Option<i64>,
    /// Scheme and host, for the link in the confirmation email.
    pub origin: String,
}

/// 64-bit FNV-1a of the request's meaningful fields (the card is hashed, not stored).
fn fingerprint(card: &str, payment_method: Option<&str>, expected_total: Option<i64>) -> String {
    let rest = match payment_method {
        Some(method) => format!("{expected_total:?}|{method}"),
        None => format!("{expected_total:?}"),
    };
    shared::hash::Fnv64::new().write(card.as_bytes()).write(b"|").write(rest.as_bytes()).hex()
}

/// The checkout service of one request.
pub struct Checkout<'a, 't> {
    env: &'a Env,
    catalog: &'a CatalogReader<'t>,
    carts: Carts<'a, 't>,
}

impl<'a, 't> Checkout<'a, 't> {
    pub fn new(env: &'a Env, catalog: &'a CatalogReader<'t>) -> Self {
        Checkout { env, catalog, carts: Carts::new(env, catalog) }
    }

    fn cart(&self, id: &CartId) -> AppResult<CartClient<'t>> {
        self.carts.client(id)
    }

    pub async fn set_contact(&self, id: &CartId, email: &Email) -> AppResult<Changed> {
        self.cart(id)?.change(CartCommand::SetContact { email: email.to_string() }).await
    }

    /// Validates the address for the countries the shop ships to, then stores it (which
    /// clears the chosen rate).
    pub async fn set_address(&self, id: &CartId, input: &AddressInput) -> AppResult<Changed> {
        let settings = self.catalog.settings().await?;
        let address = input.validate(&shippable_countries(&settings)).map_err(AppError::InvalidFields)?;
        self.cart(id)?.change(CartCommand::SetAddress { address }).await
    }

    /// Chooses a shipping rate; refused (saying which rates are offered) unless the
    /// cart's address is in a zone offering it.
    pub async fn set_shipping(&self, id: &CartId, rate: &str) -> AppResult<Changed> {
        let settings = self.catalog.settings().await?;
        let offered_in = countries_offering(&settings, rate);
        let command = CartCommand::SetShipping { rate: rate.to_string(), offered_in };
        let (snapshot, answer) = self.cart(id)?.send(command).await?;
        let refused = match answer {
            Answer::Refused { refusal: Refusal::RateNotOffered { country: None } } => {
                Some(AppError::Unprocessable("Set a shipping address first.".into()))
            }
            Answer::Refused { refusal: Refusal::RateNotOffered { country: Some(country) } } => {
                let offered: Vec<&str> =
                    rates_for(&settings, &country).iter().map(|r| r.id.as_str()).collect();
                Some(AppError::Unprocessable(format!(
                    "Choose one of the rates offered: {}.",
                    offered.join(", ")
                )))
            }
            Answer::Refused { refusal } => Some(crate::cart::refusal_error(&refusal, None)),
            _ => None,
        };
        Ok(Changed { snapshot, refused })
    }

    /// Holds the stock of a cart that is ready to pay (the payment step) for the client
    /// `holder` (`limits::client`); returns the cart and whether its stock is held.
    pub async fn hold(&self, id: &CartId, holder: String) -> AppResult<(Snapshot, bool)> {
        let command = CheckoutCommand::Hold { version: self.catalog.version().to_string(), holder };
        let (snapshot, answer) = self.cart(id)?.send_at(CHECKOUT_PATH, command).await?;
        Ok((snapshot, matches!(answer, CheckoutAnswer::Held { held: true })))
    }

    /// Places the order, exactly once per idempotency key (see [`procedure`]).
    pub async fn complete(
        &self,
        id: &CartId,
        request: &CompleteRequest,
    ) -> AppResult<Result<Outcome, NotRun>> {
        let provider = Provider::from_env(self.env)?;
        let (card, payment_method) = match &provider {
            Provider::Test => match card_digits(&request.card) {
                Ok(card) => (card, None),
                Err(e) => return Ok(Err(NotRun::Invalid { message: e.message })),
            },
            Provider::Stripe(_) => match request.payment_method.as_deref().map(str::trim) {
                Some(method) if valid_payment_method(method) => (String::new(), Some(method.to_string())),
                _ => {
                    let message = "Choose how to pay: this shop takes cards through Stripe, and the payment \
                                   needs the `payment_method` (pm_…) its payment form created."
                        .to_string();
                    return Ok(Err(NotRun::Invalid { message }));
                }
            },
        };
        let command = CompleteCommand {
            version: self.catalog.version().to_string(),
            key: request.idempotency_key.clone(),
            fingerprint: fingerprint(&card, payment_method.as_deref(), request.expected_total),
            card,
            payment_method,
            expected_total: request.expected_total,
            origin: request.origin.clone(),
        };
        // The cart's object waits for the payment provider: so does this call.
        let client =
            CartClient::new(self.env, self.catalog.caller(self.env).patient(provider.patience_ms()), id)?;
        match client.send_at(CHECKOUT_PATH, CheckoutCommand::Complete(Box::new(command))).await?.1 {
            CheckoutAnswer::Completed { completed: Completed::Outcome { outcome } } => Ok(Ok(outcome)),
            CheckoutAnswer::Completed { completed: Completed::NotRun { reason } } => Ok(Err(reason)),
            other => Err(AppError::Internal(format!("unexpected completion answer {other:?}"))),
        }
    }
}

impl Outcome {
    /// What the shopper is told.
    pub fn message(&self) -> String {
        match self {
            Outcome::Placed { number, .. } => format!("Order {number} is placed."),
            Outcome::Declined { message } => message.clone(),
            Outcome::SoldOut { available } => {
                let items: Vec<String> = available
                    .iter()
                    .map(|(sku, n)| {
                        if *n == 0 {
                            format!("{sku} is sold out")
                        } else {
                            format!("only {n} of {sku} left")
                        }
                    })
                    .collect();
                format!("Sorry — {}. Nothing was charged; change your cart and try again.", items.join(", "))
            }
        }
    }
}

impl NotRun {
    /// The status and message of a completion that did not run.
    pub fn status_and_message(self) -> (u16, String) {
        match self {
            NotRun::Invalid { message } => (400, message),
            NotRun::KeyReused => (
                422,
                "This payment form was already used for a different order. Reload the page and try again."
                    .into(),
            ),
            NotRun::InFlight => {
                (409, "Your order is already being placed. Wait a moment, then reload.".into())
            }
            NotRun::CartBusy => {
                (409, "Another payment for this cart is in progress. Wait a moment, then reload.".into())
            }
            NotRun::NotReady { message } => (409, message),
            NotRun::PaymentUnavailable => {
                (503, "The payment service did not answer. Nothing was charged; please try again.".into())
            }
            NotRun::PaymentUnconfirmed => (503, shared::payments::UNCONFIRMED.into()),
        }
    }

    /// The same, as an error (for the JSON API).
    pub fn into_error(self) -> AppError {
        let (status, message) = self.status_and_message();
        match status {
            400 => AppError::BadRequest(message),
            422 => AppError::Unprocessable(message),
            503 => AppError::Unavailable(message),
            _ => AppError::Conflict(message),
        }
    }
}
