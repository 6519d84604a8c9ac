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
use shared::checkout::{rates_for, shippable_countries, AddressInput, Email, FieldError, IdempotencyKey};
use shared::payments::PaymentChoice;
use shared::review::{countries_offering, review_cart, Review};
use shared::strings::Text;
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
    /// How the shopper pays (see [`Checkout::payment_choice`]).
    pub payment: PaymentChoice,
    /// The total the shopper saw; if the server's differs, nothing is charged.
    pub expected_total: Option<i64>,
    /// Scheme and host, for the link in the confirmation email.
    pub origin: String,
}

/// 64-bit FNV-1a of the request's meaningful fields (the card is hashed, not stored).
fn fingerprint(payment: &PaymentChoice, expected_total: Option<i64>) -> String {
    let (card, rest) = match payment {
        PaymentChoice::Test { card } => (card.as_str(), format!("{expected_total:?}")),
        PaymentChoice::Stripe { payment_method } => ("", format!("{expected_total:?}|{payment_method}")),
    };
    shared::hash::Fnv64::new().write(card.as_bytes()).write(b"|").write(rest.as_bytes()).hex()
}

/// Why a completion stored no outcome: it did not run (nothing happened under the key;
/// it may be fixed or retried), or a service it needed failed.
#[derive(Debug)]
pub enum CompleteError {
    NotRun(NotRun),
    Failed(AppError),
}

impl From<NotRun> for CompleteError {
    fn from(reason: NotRun) -> Self {
        CompleteError::NotRun(reason)
    }
}

impl From<AppError> for CompleteError {
    fn from(error: AppError) -> Self {
        CompleteError::Failed(error)
    }
}

impl From<worker::Error> for CompleteError {
    fn from(error: worker::Error) -> Self {
        CompleteError::Failed(error.into())
    }
}

impl From<CompleteError> for AppError {
    fn from(error: CompleteError) -> Self {
        match error {
            CompleteError::NotRun(reason) => reason.into(),
            CompleteError::Failed(e) => e,
        }
    }
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

    /// Stores the contact; a checkout not yet past this step counts as started.
    pub async fn set_contact(&self, id: &CartId, email: &Email) -> AppResult<Changed> {
        let changed = self.cart(id)?.change(CartCommand::SetContact { email: email.to_string() }).await?;
        if changed.refused.is_none() && changed.snapshot.state.address.is_none() {
            crate::metrics::event(shared::metrics::Event::CheckoutStarted);
        }
        Ok(changed)
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
                Some(AppError::Unprocessable(Text::new("Set a shipping address first.")))
            }
            Answer::Refused { refusal: Refusal::RateNotOffered { country: Some(country) } } => {
                let offered: Vec<&str> =
                    rates_for(&settings, &country).iter().map(|r| r.id.as_str()).collect();
                Some(AppError::Unprocessable(
                    Text::new("Choose one of the rates offered: {rates}.").with("rates", offered.join(", ")),
                ))
            }
            Answer::Refused { refusal } => Some(crate::cart::refusal_error(&refusal, None)),
            _ => None,
        };
        Ok(Changed { snapshot, refused })
    }

    /// Holds the stock of a cart that is ready to pay (the payment step) for the client
    /// `holder` (`limits::client`); returns the cart and whether its stock is held.
    pub async fn hold(&self, id: &CartId, holder: String) -> AppResult<(Snapshot, bool)> {
        let command = CheckoutCommand::Hold {
            version: self.catalog.version().to_string(),
            edition: self.catalog.edition().to_string(),
            holder,
        };
        let (snapshot, answer) = self.cart(id)?.send_at(CHECKOUT_PATH, command).await?;
        Ok((snapshot, matches!(answer, CheckoutAnswer::Held { held: true })))
    }

    /// How a request pays with this shop's provider: the card it typed (test provider)
    /// or the PaymentMethod its payment form created (Stripe). `Ok(Err(field))`: the
    /// field to fix; `Err`: the shop takes no payments now (no provider set up).
    pub fn payment_choice(
        &self,
        card: Option<&str>,
        payment_method: Option<&str>,
    ) -> AppResult<Result<PaymentChoice, FieldError>> {
        Ok(PaymentChoice::parse(crate::payments::provider_kind(self.env)?, card, payment_method))
    }

    /// Places the order, exactly once per idempotency key (see [`procedure`]).
    pub async fn complete(&self, id: &CartId, request: &CompleteRequest) -> Result<Outcome, CompleteError> {
        let provider = Provider::from_env(self.env)?;
        let command = CompleteCommand {
            version: self.catalog.version().to_string(),
            edition: self.catalog.edition().to_string(),
            key: request.idempotency_key.clone(),
            fingerprint: fingerprint(&request.payment, request.expected_total),
            payment: request.payment.clone(),
            expected_total: request.expected_total,
            origin: request.origin.clone(),
        };
        // The cart's object waits for the payment provider: so does this call.
        let client =
            CartClient::new(self.env, self.catalog.caller(self.env).patient(provider.patience_ms()), id)?;
        match client.send_at(CHECKOUT_PATH, CheckoutCommand::Complete(Box::new(command))).await?.1 {
            CheckoutAnswer::Completed { completed: Completed::Outcome { outcome } } => Ok(outcome),
            CheckoutAnswer::Completed { completed: Completed::NotRun { reason } } => Err(reason.into()),
            other => Err(AppError::Internal(format!("unexpected completion answer {other:?}")).into()),
        }
    }
}

impl Outcome {
    /// What the shopper is told.
    pub fn message(&self) -> Text {
        match self {
            Outcome::Placed { number, .. } => {
                Text::new("Order {number} is placed.").with("number", number.as_str())
            }
            Outcome::Declined { message } => message.clone(),
            Outcome::SoldOut { available } => {
                let items: Vec<String> = available.iter().map(|(sku, n)| format!("{sku}: {n}")).collect();
                Text::new(
                    "Sorry — some items sold out before you paid (left: {items}). Nothing was charged; change your cart and try again.",
                )
                .with("items", items.join(", "))
            }
        }
    }
}

/// What a completion that did not run is to a client.
impl From<NotRun> for AppError {
    fn from(reason: NotRun) -> Self {
        match reason {
            NotRun::Invalid { message } => AppError::BadRequest(message),
            NotRun::KeyReused => AppError::Unprocessable(Text::new(
                "This payment form was already used for a different order. Reload the page and try again.",
            )),
            NotRun::InFlight => AppError::Conflict(Text::new(
                "Your order is already being placed. Wait a moment, then reload.",
            )),
            NotRun::CartBusy => AppError::Conflict(Text::new(
                "Another payment for this cart is in progress. Wait a moment, then reload.",
            )),
            NotRun::NotReady { message } => AppError::Conflict(message),
            NotRun::PaymentUnavailable => AppError::Unavailable(Text::new(
                "The payment service did not answer. Nothing was charged; please try again.",
            )),
            NotRun::PaymentUnconfirmed => AppError::Unavailable(shared::payments::unconfirmed()),
        }
    }
}
