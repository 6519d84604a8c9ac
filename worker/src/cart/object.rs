//! `CartObject`: one per cart, the single consistent writer of the cart and its
//! checkout, so no change to one cart is ever lost. Cart commands change the stored
//! choices (see [`CartStore`]); the checkout context's commands — holding stock and
//! placing the order — run here too (see `checkout::procedure`), so the object holds
//! the checkout's state and talks to inventory and orders itself: the worker makes one
//! call per shopper action.
//!
//! A command's storage work is synchronous. Where a command awaits another object (an
//! availability read before adding, a hold, a completion), other commands to this cart
//! may run meanwhile (the input gate opens): each re-reads the cart after its awaits,
//! and while an order is being placed, changes to the cart are refused rather than
//! lost.

use crate::cart::protocol::{Answer, CartCommand, CartReply, CartRequest, Refusal, Snapshot};
use crate::cart::store::CartStore;
use crate::checkout::procedure;
use crate::durable::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::inventory::Inventory;
use crate::timing::{now_ms, Timing};
use shared::review::StockItem;
use shared::{CartId, CartLine};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

/// How long the object trusts the availability it read for its lines.
const AVAILABILITY_TTL_MS: f64 = 10_000.0;

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    store: CartStore,
    /// SKU → (units free for this cart, when read).
    available: RefCell<HashMap<String, (u32, f64)>>,
}

/// What the checkout procedures get from the object they run in.
pub struct ObjectContext<'a> {
    pub cart: &'a CartId,
    pub store: &'a CartStore,
    pub env: &'a Env,
    pub caller: Caller<'a>,
    object: &'a CartObject,
}

impl ObjectContext<'_> {
    /// Remembers what inventory said is free for this cart.
    pub fn remember(&self, available: &BTreeMap<String, u32>) {
        self.object.remember(available);
    }

    /// Whether the object knows (recently) what is free of this SKU.
    pub fn knows(&self, sku: &str) -> bool {
        self.object.known(sku).is_some()
    }
}

fn refused(refusal: Refusal) -> Answer {
    Answer::Refused { refusal }
}

impl CartObject {
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
    async fn free_units(&self, cart: &CartId, stock: &StockItem, caller: Caller<'_>) -> AppResult<u32> {
        if let Some(n) = self.known(stock.sku.as_str()) {
            return Ok(n);
        }
        let hold = procedure::hold_name(cart, self.store.open()?.state()?.checkout_seq);
        let available =
            Inventory::new(&self.env, caller)?.availability(std::slice::from_ref(stock), &hold).await?;
        self.remember(&available);
        Ok(available.get(stock.sku.as_str()).copied().unwrap_or(0))
    }

    async fn add(
        &self,
        cart: &CartId,
        line: CartLine,
        stock: StockItem,
        must_fit: bool,
        caller: Caller<'_>,
    ) -> Result<Answer> {
        let free = match self.free_units(cart, &stock, caller).await {
            Ok(free) => Some(free),
            Err(e) if must_fit => return Ok(failed(&e)),
            Err(e) => {
                worker::console_warn!("cart {cart}: availability of {} unknown: {e}", stock.sku);
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
        if store.completing(now_ms() as u64, procedure::takeover_ms(&self.env))? {
            return Ok(refused(Refusal::Busy));
        }
        Ok(match store.add(line)? {
            Ok(()) => Answer::Done,
            Err(rule) => refused(Refusal::Rule { message: rule.to_string() }),
        })
    }

    /// The cart commands that only touch this cart's storage.
    fn change(&self, store: &CartStore, command: CartCommand) -> Result<Answer> {
        if store.completing(now_ms() as u64, procedure::takeover_ms(&self.env))? {
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
            _ => Answer::Done,
        })
    }

    async fn run(&self, request: CartRequest, timing: &Timing) -> Result<CartReply> {
        let caller = Caller::new(&self.env, timing);
        let cart = &request.cart;
        let store = self.store.open()?;
        let context = ObjectContext { cart, store, env: &self.env, caller, object: self };
        let answer = match request.command {
            CartCommand::Get { refresh: Some(version) } => procedure::refresh(&context, &version).await,
            CartCommand::Get { refresh: None } | CartCommand::Stall { .. } => Answer::Done,
            CartCommand::Add { line, stock, must_fit } => {
                self.add(cart, line, stock, must_fit, caller).await?
            }
            CartCommand::Hold { version, holder } => procedure::hold(&context, &version, &holder).await?,
            CartCommand::Complete(command) => procedure::complete(&context, &command).await?,
            other => self.change(store, other)?,
        };
        Ok(CartReply { snapshot: self.snapshot(store)?, answer })
    }
}

/// A failure of a service the object called, as an answer the worker turns back into
/// the same error.
pub fn failed(error: &AppError) -> Answer {
    match error {
        AppError::Unavailable(message) => Answer::Failed { unavailable: true, message: message.clone() },
        other => Answer::Failed { unavailable: false, message: other.to_string() },
    }
}

impl DurableObject for CartObject {
    fn new(state: State, env: Env) -> Self {
        CartObject { store: CartStore::new(&state), state, env, available: RefCell::new(HashMap::new()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request = match durable::read_command::<CartRequest>(&mut req, "cart").await? {
            Ok(request) => request,
            Err(refused) => return Ok(refused),
        };
        if let CartCommand::Stall { ms } = &request.command {
            let ms = (*ms).min(20_000);
            // The gate holds from this call on; nothing needs to await it.
            let _gate = self.state.block_concurrency_while(async move {
                worker::Delay::from(std::time::Duration::from_millis(ms)).await;
                Ok(())
            });
        }
        let timing = Timing::start();
        let reply = self.run(request, &timing).await?;
        durable::reply(&reply, timing.do_calls.get())
    }
}
