//! The cart's half of its `CartObject` (the object itself, which also runs the
//! checkout's commands, is `checkout::object`): the cart's storage ([`CartStore`]), the
//! units it knows to be free for its lines, and the cart commands. One object per cart
//! is the single consistent writer of the cart and its checkout, so no change to a cart
//! is ever lost.
//!
//! A command's storage work is synchronous. Where a command awaits another object (an
//! availability read before adding, a hold, a completion), other commands to this cart
//! may run meanwhile (the input gate opens): each re-reads the cart after its awaits,
//! and while an order is being placed, changes to the cart are refused rather than
//! lost.

use crate::bindings;
use crate::cart::protocol::{Answer, CartCommand, CartReply, CartRequest, Refusal, Snapshot};
use crate::cart::store::CartStore;
use crate::catalog::{self, CatalogReader};
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use crate::inventory::Inventory;
use crate::timing::{now_ms, Timing};
use shared::review::{stock_items_of, StockItem};
use shared::{CartId, CartLine};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::{Env, Result, State};

/// How long the object trusts the availability it read for its lines.
const AVAILABILITY_TTL_MS: f64 = 10_000.0;
/// How long an unfinished completion blocks its cart and key unless
/// `CHECKOUT_TAKEOVER_MS` says otherwise.
const DEFAULT_TAKEOVER_MS: u64 = 60_000;

/// The name of a cart's current stock hold (one per checkout of the cart).
pub fn hold_name(cart: &CartId, checkout_seq: u64) -> String {
    format!("{cart}:{checkout_seq}")
}

/// How long an unfinished completion blocks changes to its cart and retries of its key
/// (`CHECKOUT_TAKEOVER_MS`).
pub fn takeover_ms(env: &Env) -> u64 {
    bindings::number(env, bindings::CHECKOUT_TAKEOVER_MS)
        .filter(|ms| *ms >= 1_000)
        .unwrap_or(DEFAULT_TAKEOVER_MS)
}

/// The cart's half of its object.
pub struct CartCore {
    env: Env,
    store: CartStore,
    /// SKU → (units free for this cart, when read).
    available: RefCell<HashMap<String, (u32, f64)>>,
}

/// What a command gets from the object it runs in (the checkout's commands too).
pub struct ObjectContext<'a> {
    pub cart: &'a CartId,
    pub store: &'a CartStore,
    pub env: &'a Env,
    pub caller: Caller<'a>,
    core: &'a CartCore,
}

impl ObjectContext<'_> {
    /// Remembers what inventory said is free for this cart.
    pub fn remember(&self, available: &BTreeMap<String, u32>) {
        self.core.remember(available);
    }

    /// Whether the object knows (recently) what is free of this SKU.
    pub fn knows(&self, sku: &str) -> bool {
        self.core.known(sku).is_some()
    }
}

fn refused(refusal: Refusal) -> Answer {
    Answer::Refused { refusal }
}

impl CartCore {
    pub fn new(state: &State, env: Env) -> CartCore {
        CartCore { store: CartStore::new(state), env, available: RefCell::new(HashMap::new()) }
    }

    /// Runs `command` for the cart `cart` with the object's context, and answers it with
    /// the cart as it is afterwards (the checkout's commands are answered the same way).
    pub async fn answer<A, F>(&self, cart: &CartId, timing: &Timing, command: F) -> Result<CartReply<A>>
    where
        F: AsyncFnOnce(&ObjectContext<'_>) -> AppResult<A>,
    {
        let store = self.store.open()?;
        let context =
            ObjectContext { cart, store, env: &self.env, caller: Caller::new(&self.env, timing), core: self };
        let answer = command(&context).await.map_err(Into::into);
        Ok(CartReply { snapshot: self.snapshot(store)?, answer })
    }

    /// Whether the cart has lines.
    pub fn has_lines(&self) -> Result<bool> {
        Ok(!self.store.open()?.state()?.lines.is_empty())
    }

    /// Answers a cart command.
    pub async fn run(&self, request: CartRequest, timing: &Timing) -> Result<CartReply> {
        let CartRequest { cart, command } = request;
        self.answer(&cart, timing, async |cx| match command {
            CartCommand::Get { refresh: Some(version) } => {
                refresh(cx, &version).await;
                Ok(Answer::Done)
            }
            CartCommand::Get { refresh: None } => Ok(Answer::Done),
            CartCommand::Add { line, stock, must_fit } => self.add(cx, line, stock, must_fit).await,
            other => Ok(self.change(cx.store, other)?),
        })
        .await
    }

    fn remember(&self, available: &BTreeMap<String, u32>) {
        let now = now_ms();
        let mut known = self.available.borrow_mut();
        for (sku, n) in available {
            known.insert(sku.clone(), (*n, now));
        }
    }

    fn known(&self, sku: &str) -> Option<u32> {
        let now = now_ms();
        self.available.borrow().get(sku).filter(|(_, at)| now - at < AVAILABILITY_TTL_MS).map(|(n, _)| *n)
    }

    fn snapshot(&self, store: &CartStore) -> Result<Snapshot> {
        let state = store.state()?;
        let available = state
            .lines
            .iter()
            .filter_map(|l| Some((l.sku.to_string(), self.known(l.sku.as_str())?)))
            .collect();
        Ok(Snapshot { state, available })
    }

    /// Units of `stock`'s SKU free for this cart: remembered, or read from its shard.
    async fn free_units(&self, cx: &ObjectContext<'_>, stock: &StockItem) -> AppResult<u32> {
        if let Some(n) = self.known(stock.sku.as_str()) {
            return Ok(n);
        }
        let hold = hold_name(cx.cart, self.store.open()?.state()?.checkout_seq);
        let available =
            Inventory::new(&self.env, cx.caller)?.availability(std::slice::from_ref(stock), &hold).await?;
        self.remember(&available);
        Ok(available.get(stock.sku.as_str()).copied().unwrap_or(0))
    }

    async fn add(
        &self,
        cx: &ObjectContext<'_>,
        line: CartLine,
        stock: StockItem,
        must_fit: bool,
    ) -> AppResult<Answer> {
        let free = match self.free_units(cx, &stock).await {
            Ok(free) => Some(free),
            Err(e) if must_fit => return Err(e),
            Err(e) => {
                worker::console_warn!("cart {}: availability of {} unknown: {e}", cx.cart, stock.sku);
                None
            }
        };
        if must_fit {
            match free {
                Some(0) => return Ok(refused(Refusal::SoldOut)),
                Some(n) if line.quantity.get() > n => return Ok(refused(Refusal::OnlyLeft { free: n })),
                _ => {}
            }
        }
        // After the await: the cart as it is now.
        let store = self.store.open()?;
        if store.completing(now_ms() as u64, takeover_ms(&self.env))? {
            return Ok(refused(Refusal::Busy));
        }
        Ok(match store.add(line)? {
            Ok(()) => Answer::Done,
            Err(rule) => refused(Refusal::Rule { message: rule.text() }),
        })
    }

    /// The cart commands that only touch this cart's storage.
    fn change(&self, store: &CartStore, command: CartCommand) -> Result<Answer> {
        if store.completing(now_ms() as u64, takeover_ms(&self.env))? {
            return Ok(refused(Refusal::Busy));
        }
        Ok(match command {
            CartCommand::AddMany { lines } => {
                let mut skus = Vec::new();
                for line in lines {
                    let sku = line.sku.to_string();
                    if store.add(line)?.is_err() {
                        skus.push(sku);
                    }
                }
                Answer::Skipped { skus }
            }
            CartCommand::SetQuantity { sku, quantity } => match store.set_quantity(sku, quantity)? {
                Ok(()) => Answer::Done,
                Err(refusal) => refused(refusal),
            },
            CartCommand::Restore { order } => {
                store.restore(&order)?;
                Answer::Done
            }
            CartCommand::Clear => {
                store.clear()?;
                Answer::Done
            }
            CartCommand::SetDiscount { code } => {
                store.set_discount(code)?;
                Answer::Done
            }
            CartCommand::SetContact { email } => {
                store.set_email(email)?;
                Answer::Done
            }
            CartCommand::SetAddress { address } => {
                store.set_address(address)?;
                Answer::Done
            }
            CartCommand::SetShipping { rate, offered_in } => {
                let country = store.state()?.address.map(|a| a.country);
                match country {
                    Some(c) if offered_in.contains(&c) => {
                        store.set_rate(rate)?;
                        Answer::Done
                    }
                    country => refused(Refusal::RateNotOffered { country }),
                }
            }
            CartCommand::Get { .. } | CartCommand::Add { .. } => Answer::Done,
        })
    }
}

/// Reads availability again for the lines the object no longer knows. A read that
/// fails leaves them unknown: the cart still shows.
async fn refresh(cx: &ObjectContext<'_>, version: &str) {
    let outcome = async {
        let state = cx.store.state()?;
        let stale: Vec<_> = state.lines.iter().filter(|l| !cx.knows(l.sku.as_str())).cloned().collect();
        if stale.is_empty() {
            return Ok(());
        }
        let catalog = CatalogReader::at_version(cx.env, cx.caller.timing(), version).await?;
        let items = stock_items_of(&stale, &catalog::load_products(&catalog, &stale).await?);
        let own = hold_name(cx.cart, state.checkout_seq);
        cx.remember(&Inventory::new(cx.env, cx.caller)?.availability(&items, &own).await?);
        Ok::<(), AppError>(())
    };
    if let Err(e) = outcome.await {
        worker::console_warn!("cart {}: availability not refreshed: {e}", cx.cart);
    }
}
