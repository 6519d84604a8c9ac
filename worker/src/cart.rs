//! The cart context: what a shopper chose, in one `CartObject` per cart (its cart half
//! is [`object`]).
//! Add, change a quantity, remove, empty, discount codes and cart links; at most 99 of
//! one item per line and 50 lines per cart. A line remembers the price seen when it was
//! added; prices and totals are always computed from the catalog (see `checkout::review`).
//!
//! [`Carts`] is the service both front doors call: it checks requests against the
//! catalog, then sends one command to the cart's object. Adding a line costs that call
//! and at most one inventory read, which the object keeps for a few seconds.

pub mod object;
pub mod protocol;
pub mod store;

use crate::bindings;
use crate::catalog::{self, CatalogReader};
use crate::durable::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::metrics;
use protocol::{Answer, CartCommand, CartReply, CartRequest, Refusal, Snapshot, CART_PATH};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::metrics::Event;
use shared::review::StockItem;
use shared::strings::Text;
use shared::{CartId, CartLine, Handle, Product, Quantity, Sku, Variant};
use std::sync::Arc;
use worker::Env;

/// Most lines one cart link may add.
pub const MAX_LINK_LINES: usize = 20;

/// The transport to one cart's object.
pub struct CartClient<'t> {
    id: CartId,
    stub: worker::Stub,
    caller: Caller<'t>,
}

impl<'t> CartClient<'t> {
    pub fn new(env: &Env, caller: Caller<'t>, id: &CartId) -> AppResult<Self> {
        Ok(CartClient { id: id.clone(), stub: durable::stub(env, bindings::CART, id.as_str())?, caller })
    }

    /// Sends a cart command; a failure the object met on the way becomes the same error here.
    pub async fn send(&self, command: CartCommand) -> AppResult<(Snapshot, Answer)> {
        self.send_at(CART_PATH, command).await
    }

    /// Sends a command of the context whose protocol is at `path` in the object (the
    /// checkout's, see `checkout::object`).
    pub async fn send_at<C: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        command: C,
    ) -> AppResult<(Snapshot, A)> {
        let request = CartRequest { cart: self.id.clone(), command };
        let reply: CartReply<A> = self.caller.call_at(&self.stub, "cart", path, &request).await?;
        Ok((reply.snapshot, reply.answer?))
    }

    /// Sends a command that either changes the cart or is refused.
    pub async fn change(&self, command: CartCommand) -> AppResult<Changed> {
        let (snapshot, answer) = self.send(command).await?;
        let refused = match answer {
            Answer::Refused { refusal } => Some(refusal_error(&refusal, None)),
            _ => None,
        };
        Ok(Changed { snapshot, refused })
    }
}

/// The cart after a change, and why the change was refused if it was (a 4xx with a
/// message). Pages show the refusal next to the cart as it is; the API answers it.
pub struct Changed {
    pub snapshot: Snapshot,
    pub refused: Option<AppError>,
}

impl Changed {
    /// The cart, if the change was made.
    pub fn accepted(self) -> AppResult<Snapshot> {
        match self.refused {
            None => Ok(self.snapshot),
            Some(e) => Err(e),
        }
    }
}

/// What a refusal tells the shopper (`product`: the title of the product concerned).
pub fn refusal_error(refusal: &Refusal, product: Option<&str>) -> AppError {
    match refusal {
        Refusal::Rule { message } => AppError::Unprocessable(message.clone()),
        Refusal::NoSuchLine { sku } => AppError::Absent(
            Text::new("Your cart has no {sku} to change or remove.").with("sku", sku.as_str()),
        ),
        Refusal::SoldOut => AppError::Unprocessable(match product {
            Some(title) => Text::new("{title} is sold out in that option, so it could not be added.")
                .with("title", title),
            None => Text::new("That item is sold out in that option, so it could not be added."),
        }),
        Refusal::OnlyLeft { free } => AppError::Unprocessable(match product {
            Some(title) => Text::new("Only {count} of {title} are left in that option.")
                .with("count", free.to_string())
                .with("title", title),
            None => Text::new("Only {count} of that item are left in that option.")
                .with("count", free.to_string()),
        }),
        Refusal::Busy => AppError::Conflict(Text::new(
            "Your order is being placed right now; your cart can change again once it is done.",
        )),
        Refusal::RateNotOffered { .. } => {
            AppError::Unprocessable(Text::new("Choose one of the shipping methods offered."))
        }
    }
}

/// Whether an add must fit what is free (the shop's forms) or may ask for more and be
/// told what is short (API clients decide for themselves).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Required,
    Reported,
}

/// The cart service of one request.
pub struct Carts<'a, 't> {
    env: &'a Env,
    catalog: &'a CatalogReader<'t>,
}

impl<'a, 't> Carts<'a, 't> {
    pub fn new(env: &'a Env, catalog: &'a CatalogReader<'t>) -> Self {
        Carts { env, catalog }
    }

    pub fn client(&self, id: &CartId) -> AppResult<CartClient<'t>> {
        CartClient::new(self.env, self.catalog.caller(self.env), id)
    }

    /// The cart as stored; `refresh` reads availability the cart no longer knows.
    pub async fn view(&self, id: &CartId, refresh: bool) -> AppResult<Snapshot> {
        let refresh = refresh.then(|| self.catalog.version().to_string());
        Ok(self.client(id)?.send(CartCommand::Get { refresh }).await?.0)
    }

    /// Adds `quantity` of the variant `sku` of `product` (the shop's product form).
    pub async fn add_variant(
        &self,
        id: &CartId,
        product: &Handle,
        sku: Sku,
        quantity: Quantity,
    ) -> AppResult<Snapshot> {
        let product = self.catalog.product(product).await?.ok_or_else(|| {
            AppError::Unprocessable(Text::new(
                "That product is no longer in the shop, so it could not be added.",
            ))
        })?;
        self.add(id, &product, sku, quantity, Fit::Required).await
    }

    /// Adds `quantity` of `sku`, whichever product sells it (the API).
    pub async fn add_sku(&self, id: &CartId, sku: Sku, quantity: Quantity) -> AppResult<Snapshot> {
        let product = catalog::products_of_skus(self.catalog, std::slice::from_ref(&sku))
            .await?
            .remove(sku.as_str())
            .ok_or_else(|| {
                AppError::Unprocessable(Text::new("No product has the SKU {sku}.").with("sku", sku.as_str()))
            })?;
        self.add(id, &product, sku, quantity, Fit::Reported).await
    }

    async fn add(
        &self,
        id: &CartId,
        product: &Product,
        sku: Sku,
        quantity: Quantity,
        fit: Fit,
    ) -> AppResult<Snapshot> {
        let variant = product.variant(&sku).ok_or_else(|| {
            AppError::Unprocessable(
                Text::new("{title} has no variant {sku}, so it could not be added.")
                    .with("title", product.title.as_str())
                    .with("sku", sku.as_str()),
            )
        })?;
        let stock = StockItem { sku: sku.clone(), quantity: 0, catalog_stock: variant.stock };
        let line =
            CartLine { product: product.handle.clone(), sku, quantity, added_at_price: Some(variant.price) };
        let command = CartCommand::Add { line, stock, must_fit: fit == Fit::Required };
        let (snapshot, answer) = self.client(id)?.send(command).await?;
        match answer {
            Answer::Refused { refusal } => Err(refusal_error(&refusal, Some(&product.title))),
            _ => {
                metrics::event(Event::AddToCart);
                Ok(snapshot)
            }
        }
    }

    /// Sets a line's quantity (0 removes it).
    pub async fn set_quantity(&self, id: &CartId, sku: Sku, quantity: u32) -> AppResult<Changed> {
        let quantity =
            Quantity::check_change(quantity).map_err(|e| AppError::BadRequest(format!("{e}.").into()))?;
        self.client(id)?.change(CartCommand::SetQuantity { sku, quantity }).await
    }

    pub async fn clear(&self, id: &CartId) -> AppResult<Changed> {
        self.client(id)?.change(CartCommand::Clear).await
    }

    /// Applies a discount code (any case); unknown codes are refused before the cart is
    /// touched. `None` removes the code.
    pub async fn set_discount(&self, id: &CartId, code: Option<&str>) -> AppResult<Changed> {
        let code = code.map(|c| c.trim().to_ascii_uppercase());
        if let Some(code) = &code {
            let known = code.chars().count() <= shared::cart::MAX_CODE_CHARS
                && self.catalog.settings().await?.discounts.iter().any(|d| &d.code == code);
            if !known {
                return Err(AppError::Unprocessable(Text::new("That discount code does not exist.")));
            }
        }
        self.client(id)?.change(CartCommand::SetDiscount { code }).await
    }

    /// The items of a cart link as the catalog sells them, and the SKUs no product sells.
    pub async fn resolve_link(&self, wanted: &[(Sku, Quantity)]) -> AppResult<LinkItems> {
        let skus: Vec<Sku> = wanted.iter().map(|(s, _)| s.clone()).collect();
        let products = catalog::products_of_skus(self.catalog, &skus).await?;
        let mut items = LinkItems::default();
        for (sku, quantity) in wanted {
            match products.get(sku.as_str()).and_then(|p| Some((p, p.variant(sku)?))) {
                Some((product, variant)) => items.found.push(LinkItem {
                    product: Arc::clone(product),
                    variant: variant.clone(),
                    quantity: *quantity,
                }),
                None => items.unknown.push(sku.to_string()),
            }
        }
        Ok(items)
    }

    /// Adds the items of a cart link; returns the cart and the SKUs left out (unknown,
    /// or refused by the cart rules).
    pub async fn add_link(
        &self,
        id: &CartId,
        wanted: &[(Sku, Quantity)],
    ) -> AppResult<(Snapshot, Vec<String>)> {
        let LinkItems { found, unknown } = self.resolve_link(wanted).await?;
        let mut skipped = unknown;
        let lines = found
            .into_iter()
            .map(|item| CartLine {
                product: item.product.handle.clone(),
                sku: item.variant.sku.clone(),
                quantity: item.quantity,
                added_at_price: Some(item.variant.price),
            })
            .collect();
        let (snapshot, answer) = self.client(id)?.send(CartCommand::AddMany { lines }).await?;
        match answer {
            Answer::Skipped { skus } => skipped.extend(skus),
            Answer::Refused { refusal } => return Err(refusal_error(&refusal, None)),
            Answer::Done => {}
        }
        Ok((snapshot, skipped))
    }
}

/// A cart link's items: those the catalog sells, and the SKUs it does not.
#[derive(Default)]
pub struct LinkItems {
    pub found: Vec<LinkItem>,
    pub unknown: Vec<String>,
}

/// One item of a cart link: the product and variant the SKU names, and how many.
pub struct LinkItem {
    pub product: Arc<Product>,
    pub variant: Variant,
    pub quantity: Quantity,
}

/// The items of a cart link: `SKU:QTY,SKU:QTY` (a missing quantity is 1).
pub fn parse_link(spec: &str) -> AppResult<Vec<(Sku, Quantity)>> {
    let mut wanted = Vec::new();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let (sku, qty) = part.split_once(':').unwrap_or((part, "1"));
        let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(format!("Cart link: {e}.").into()))?;
        let qty =
            Quantity::parse(qty).map_err(|e| AppError::BadRequest(format!("Cart link: {e}.").into()))?;
        wanted.push((sku, qty));
    }
    if wanted.is_empty() || wanted.len() > MAX_LINK_LINES {
        return Err(AppError::BadRequest(
            format!("A cart link lists 1 to {MAX_LINK_LINES} items, like /cart/MCS-M-OAT:2,BRP-1:1.").into(),
        ));
    }
    Ok(wanted)
}
