//! The inventory context: stock per SKU in Durable Objects, sharded — each SKU belongs to
//! one of [`SHARDS`] `InventoryObject`s (by a hash of the SKU), so no single object serves
//! the whole shop and every SKU still has exactly one consistent writer.
//!
//! Available = on hand − live holds. Checkout holds with an expiry (an alarm sweeps
//! expired holds, idempotently); placing the order commits (on hand goes down, once; a
//! commit checks the units are there, so a lapsed hold never oversells); a failed
//! payment releases. On hand never goes below zero. Stock is set by the merchant API,
//! and from the catalog: requests carry the catalog's figure for each SKU, which the
//! object applies when it differs from the last one applied — so publishing a new figure
//! resets the SKU, while republishing an unchanged one does not undo the sales since.
//!
//! [`Inventory`] is the only client; product pages read availability through
//! [`live_availability`], which keeps it briefly in isolate memory.

pub mod object;
mod protocol;

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use crate::timing::now_ms;
use futures_util::future::join_all;
use protocol::{InventoryCommand, InventoryReply};
use shared::review::StockItem;
use shared::stock::{StockLevel, LOW_STOCK, MAX_LOW_LISTED};
use shared::{Product, Sku};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::Env;

/// Number of inventory objects.
pub const SHARDS: u32 = 16;
/// How long an isolate trusts the availability it read for product pages.
const AVAILABILITY_TTL_MS: f64 = 10_000.0;

/// Which shard holds a SKU.
pub fn shard_of(sku: &Sku) -> u32 {
    shared::hash::shard(sku.as_str(), SHARDS)
}

/// How a hold or a sale went.
#[derive(Debug)]
pub enum Stock {
    /// Done; what was free per SKU before (not counting the asker's hold).
    Granted(BTreeMap<String, u32>),
    /// Nothing held or sold anywhere: what is free per SKU, for the short ones' shards.
    Short(BTreeMap<String, u32>),
    /// Nothing held anywhere: the client holds as much of a SKU as one client may
    /// (`object::MAX_UNITS_HELD_PER_CLIENT`); what is free per SKU on those shards.
    Capped(BTreeMap<String, u32>),
}

/// The client of the inventory shards (from the worker or from a cart object).
pub struct Inventory<'t> {
    namespace: worker::ObjectNamespace,
    caller: Caller<'t>,
}

impl<'t> Inventory<'t> {
    pub fn new(env: &Env, caller: Caller<'t>) -> AppResult<Inventory<'t>> {
        Ok(Inventory { namespace: env.durable_object(bindings::INVENTORY)?, caller })
    }

    async fn send(&self, shard: u32, command: &InventoryCommand) -> AppResult<InventoryReply> {
        let stub = self.namespace.id_from_name(&format!("inventory-{shard}"))?.get_stub()?;
        self.caller.call(&stub, "stock service", command).await
    }

    fn by_shard(items: &[StockItem]) -> BTreeMap<u32, Vec<StockItem>> {
        let mut shards: BTreeMap<u32, Vec<StockItem>> = BTreeMap::new();
        for item in items {
            shards.entry(shard_of(&item.sku)).or_default().push(item.clone());
        }
        shards
    }

    /// Sends one command per shard of `items`, in parallel.
    async fn per_shard(
        &self,
        items: &[StockItem],
        command: impl Fn(Vec<StockItem>) -> InventoryCommand,
    ) -> Vec<(u32, AppResult<InventoryReply>)> {
        let commands: Vec<(u32, InventoryCommand)> =
            Self::by_shard(items).into_iter().map(|(shard, items)| (shard, command(items))).collect();
        join_all(commands.iter().map(|(shard, c)| async move { (*shard, self.send(*shard, c).await) })).await
    }

    /// Units available now, per SKU (`except`: a hold not to count, the asker's own).
    pub async fn availability(&self, items: &[StockItem], except: &str) -> AppResult<BTreeMap<String, u32>> {
        let now_ms = now_ms() as u64;
        let replies = self
            .per_shard(items, |items| InventoryCommand::Availability {
                items,
                now_ms,
                except: except.to_string(),
            })
            .await;
        let mut available = BTreeMap::new();
        for (_, reply) in replies {
            match reply? {
                InventoryReply::Available { available: part } => available.extend(part),
                other => return Err(unexpected(&other)),
            }
        }
        forget(items);
        remember(&available);
        Ok(available)
    }

    /// Holds every item under `id` for `ttl_ms` for the client `holder` (`None`: not
    /// counted against a client), or none: a shard that is short or capped gives back
    /// nothing, and the shards that held are released.
    pub async fn reserve(
        &self,
        id: &str,
        holder: Option<&str>,
        items: &[StockItem],
        ttl_ms: u64,
    ) -> AppResult<Stock> {
        forget(items);
        let now_ms = now_ms() as u64;
        let holder = holder.map(str::to_string);
        let replies = self
            .per_shard(items, |items| InventoryCommand::Reserve {
                id: id.to_string(),
                holder: holder.clone(),
                items,
                ttl_ms,
                now_ms,
            })
            .await;
        let mut held = Vec::new();
        let outcome = gather(replies, &mut held);
        if !matches!(outcome, Ok(Stock::Granted(_))) {
            for shard in held {
                self.send(shard, &InventoryCommand::Release { id: id.to_string() }).await?;
            }
        }
        outcome
    }

    /// Sells every item under `id` (counting the hold `hold` as the buyer's; `None`: the
    /// hold named `id`), or none: if a shard is short, the shards that sold are given back.
    pub async fn commit(&self, id: &str, hold: Option<&str>, items: &[StockItem]) -> AppResult<Stock> {
        forget(items);
        let now_ms = now_ms() as u64;
        let hold = hold.map(str::to_string);
        let replies = self
            .per_shard(items, |items| InventoryCommand::Commit {
                id: id.to_string(),
                items,
                now_ms,
                hold: hold.clone(),
            })
            .await;
        let mut sold = Vec::new();
        let outcome = gather(replies, &mut sold);
        if !matches!(outcome, Ok(Stock::Granted(_))) {
            for shard in sold {
                self.send(shard, &InventoryCommand::Uncommit { id: id.to_string() }).await?;
            }
        }
        outcome
    }

    /// Gives back what the commit `id` sold on the shards of `items` (a cancelled order),
    /// once: a second call changes nothing.
    pub async fn give_back(&self, id: &str, items: &[StockItem]) -> AppResult<()> {
        forget(items);
        for (_, reply) in self.per_shard(items, |_| InventoryCommand::Uncommit { id: id.to_string() }).await {
            reply?;
        }
        Ok(())
    }

    /// Drops the hold `id` on the shards of `items`.
    pub async fn release(&self, id: &str, items: &[StockItem]) -> AppResult<()> {
        forget(items);
        for (_, reply) in self.per_shard(items, |_| InventoryCommand::Release { id: id.to_string() }).await {
            reply?;
        }
        Ok(())
    }

    pub async fn set_stock(&self, sku: &Sku, on_hand: u32) -> AppResult<()> {
        forget_sku(sku.as_str());
        self.send(shard_of(sku), &InventoryCommand::SetStock { sku: sku.clone(), on_hand }).await?;
        Ok(())
    }

    /// On hand and free units of each of `items`' SKUs (their catalog figures applied).
    pub async fn levels(&self, items: &[StockItem]) -> AppResult<BTreeMap<String, StockLevel>> {
        let now_ms = now_ms() as u64;
        let mut levels = BTreeMap::new();
        for (_, reply) in self.per_shard(items, |items| InventoryCommand::Levels { items, now_ms }).await {
            match reply? {
                InventoryReply::Levels { levels: part } => levels.extend(part),
                other => return Err(unexpected(&other)),
            }
        }
        Ok(levels)
    }

    /// The SKUs with [`LOW_STOCK`] or fewer free units, fewest first (at most
    /// `MAX_LOW_LISTED`), from every shard at once. Only SKUs the shop has sold, held or
    /// been told the stock of are known to the shards; the others keep their catalog
    /// figures.
    pub async fn low(&self) -> AppResult<Vec<(String, StockLevel)>> {
        let now_ms = now_ms() as u64;
        let command = InventoryCommand::Low { threshold: LOW_STOCK, limit: MAX_LOW_LISTED, now_ms };
        let replies = join_all((0..SHARDS).map(|shard| {
            let command = &command;
            async move { self.send(shard, command).await }
        }))
        .await;
        let mut low: Vec<(String, StockLevel)> = Vec::new();
        for reply in replies {
            match reply? {
                InventoryReply::Levels { levels } => low.extend(levels),
                other => return Err(unexpected(&other)),
            }
        }
        low.sort_by(|(a_sku, a), (b_sku, b)| a.available.cmp(&b.available).then_with(|| a_sku.cmp(b_sku)));
        low.truncate(MAX_LOW_LISTED as usize);
        Ok(low)
    }

    /// Runs every shard's sweep now (what the alarms do); returns the holds dropped.
    pub async fn sweep_all(&self) -> AppResult<u32> {
        let now_ms = now_ms() as u64;
        let mut dropped = 0;
        for shard in 0..SHARDS {
            if let InventoryReply::Done { changed } =
                self.send(shard, &InventoryCommand::Sweep { now_ms }).await?
            {
                dropped = changed.saturating_add(dropped);
            }
        }
        Ok(dropped)
    }
}

fn unexpected(reply: &InventoryReply) -> AppError {
    AppError::Internal(format!("unexpected inventory reply {reply:?}"))
}

/// Folds per-shard replies of a hold or a sale; `granted` gets the shards that did it.
fn gather(replies: Vec<(u32, AppResult<InventoryReply>)>, granted: &mut Vec<u32>) -> AppResult<Stock> {
    let (mut available, mut short, mut capped, mut failed) =
        (BTreeMap::new(), None::<BTreeMap<_, _>>, None::<BTreeMap<_, _>>, None);
    for (shard, reply) in replies {
        match reply {
            Ok(InventoryReply::Reserved { available: part }) => {
                granted.push(shard);
                available.extend(part);
            }
            // A reserve whose name was already sold (racing its own commit) holds nothing more.
            Ok(InventoryReply::Committed) => granted.push(shard),
            Ok(InventoryReply::SoldOut { available: part }) => {
                short.get_or_insert_with(BTreeMap::new).extend(part)
            }
            Ok(InventoryReply::Capped { available: part }) => {
                capped.get_or_insert_with(BTreeMap::new).extend(part)
            }
            Ok(other) => failed = Some(unexpected(&other)),
            Err(e) => failed = Some(e),
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(short) = short {
        return Ok(Stock::Short(short));
    }
    if let Some(capped) = capped {
        return Ok(Stock::Capped(capped));
    }
    Ok(Stock::Granted(available))
}

thread_local! {
    /// Availability per SKU read by this isolate, and when.
    static AVAILABILITY: RefCell<HashMap<String, (u32, f64)>> = RefCell::new(HashMap::new());
}

fn remember(available: &BTreeMap<String, u32>) {
    let now = now_ms();
    AVAILABILITY.with(|cache| {
        let mut cache = cache.borrow_mut();
        for (sku, n) in available {
            cache.insert(sku.clone(), (*n, now));
        }
    });
}

/// This isolate's remembered availability of these SKUs is now wrong.
fn forget(items: &[StockItem]) {
    for item in items {
        forget_sku(item.sku.as_str());
    }
}

fn forget_sku(sku: &str) {
    AVAILABILITY.with(|cache| {
        cache.borrow_mut().remove(sku);
    });
}

/// Units available per SKU of a product, for its page: from isolate memory when read in
/// the last [`AVAILABILITY_TTL_MS`], else from the inventory objects. If inventory
/// cannot be reached, the catalog's figures are used: the page still renders, and
/// checkout checks stock again anyway.
pub async fn live_availability(env: &Env, caller: Caller<'_>, product: &Product) -> BTreeMap<String, u32> {
    let now = now_ms();
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    AVAILABILITY.with(|cache| {
        let cache = cache.borrow();
        for v in &product.variants {
            match cache.get(v.sku.as_str()) {
                Some((n, at)) if now - at < AVAILABILITY_TTL_MS => {
                    found.insert(v.sku.to_string(), *n);
                }
                _ => missing.push(StockItem { sku: v.sku.clone(), quantity: 0, catalog_stock: v.stock }),
            }
        }
    });
    if missing.is_empty() {
        return found;
    }
    let fetched = match Inventory::new(env, caller) {
        Ok(inventory) => inventory.availability(&missing, "").await,
        Err(e) => Err(e),
    };
    match fetched {
        Ok(map) => {
            for item in &missing {
                found.insert(item.sku.to_string(), map.get(item.sku.as_str()).copied().unwrap_or(0));
            }
        }
        Err(e) => {
            worker::console_warn!("availability of {} from the catalog: {e}", product.handle);
            for item in &missing {
                found.insert(item.sku.to_string(), item.catalog_stock);
            }
        }
    }
    found
}
