//! Rate limits on writes (cart changes, checkout steps, API cart and checkout calls), per
//! client: a token bucket per client key, held in memory by a `LimiterObject`. Clients
//! are spread over [`SHARDS`] objects by a hash of their key, so no single object sees
//! the whole shop's traffic.
//!
//! Each client may burst up to `WRITE_LIMIT_PER_MINUTE` writes and then gets that many
//! per minute back, evenly. Beyond it the request is answered `429` with `Retry-After`.
//! Buckets live in the object's memory only: an evicted object forgets them, which at
//! worst lets a client start over with a full bucket. The limiter fails open: if it
//! cannot be asked (overloaded, timed out), the write goes ahead and the problem is logged.

use crate::bindings;
use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use shared::rate::TokenBucket;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

/// Objects the client keys are spread over.
const SHARDS: u64 = 64;
/// Writes per client per minute unless `WRITE_LIMIT_PER_MINUTE` says otherwise.
pub const DEFAULT_PER_MINUTE: u32 = 120;
/// Buckets an object keeps before it forgets full ones (memory bound).
const MAX_BUCKETS: usize = 50_000;

#[derive(Serialize, Deserialize)]
struct Take {
    key: String,
    per_minute: u32,
    now_ms: f64,
}

#[derive(Serialize, Deserialize)]
struct Verdict {
    allowed: bool,
    retry_after_s: u32,
}

#[durable_object]
pub struct LimiterObject {
    buckets: RefCell<HashMap<String, TokenBucket>>,
}

impl LimiterObject {
    fn decide(&self, command: &Take) -> Verdict {
        let mut buckets = self.buckets.borrow_mut();
        if buckets.len() >= MAX_BUCKETS {
            // Forget clients whose buckets have refilled: they lose nothing.
            buckets.retain(|_, b| !b.is_full(command.per_minute, command.now_ms));
        }
        let bucket = buckets
            .get(&command.key)
            .copied()
            .unwrap_or_else(|| TokenBucket::full(command.per_minute, command.now_ms));
        let (bucket, refused) = bucket.take(command.per_minute, command.now_ms);
        buckets.insert(command.key.clone(), bucket);
        Verdict { allowed: refused.is_none(), retry_after_s: refused.unwrap_or(0) }
    }
}

impl DurableObject for LimiterObject {
    fn new(_state: State, _env: Env) -> Self {
        LimiterObject { buckets: RefCell::new(HashMap::new()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() != Method::Post {
            return Response::error("limiter objects take POSTed commands", 405);
        }
        let command: Take = match req.json().await {
            Ok(c) => c,
            Err(e) => return Response::error(format!("bad limiter command: {e}"), 400),
        };
        Response::from_json(&self.decide(&command))
    }
}

/// The configured limit, per client per minute.
fn per_minute(env: &Env) -> u32 {
    env.var(bindings::WRITE_LIMIT_PER_MINUTE)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_PER_MINUTE)
}

fn shard_of(key: &str) -> u64 {
    // FNV-1a: stable across isolates and deploys.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % SHARDS
}

/// Counts one write by `key`; `429` (with the seconds to wait) when over the limit.
pub async fn check(env: &Env, catalog: &CatalogReader<'_>, key: &str) -> AppResult<()> {
    let command = Take { key: key.to_string(), per_minute: per_minute(env), now_ms: crate::timing::now_ms() };
    let stub = match env.durable_object(bindings::LIMITER).and_then(|namespace| {
        let id = namespace.id_from_name(&format!("limiter-{}", shard_of(key)))?;
        id.get_stub()
    }) {
        Ok(stub) => stub,
        Err(e) => {
            worker::console_warn!("rate limiter unavailable, write allowed: {e}");
            return Ok(());
        }
    };
    match catalog.caller(env).call::<_, Verdict>(&stub, "rate limiter", &command).await {
        Ok(Verdict { allowed: false, retry_after_s }) => Err(AppError::TooManyRequests(retry_after_s)),
        Ok(_) => Ok(()),
        Err(e) => {
            worker::console_warn!("rate limiter unavailable, write allowed: {e}");
            Ok(())
        }
    }
}
