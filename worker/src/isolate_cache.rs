//! The in-isolate cache: parsed catalog documents (and the hottest rendered pages, see
//! `page_cache`) kept in memory between requests
//! served by the same isolate, keyed by their versioned KV key (so a publish never
//! needs a purge: the new version simply uses new keys), bounded in bytes with
//! least-recently-used eviction.
//!
//! Workers run one request at a time per thread; every borrow of the cell below ends
//! before any `.await`, so it never panics.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Memory budget for cached documents (the isolate has 128 MB in all).
pub const BUDGET_BYTES: usize = 24 * 1024 * 1024;
/// Documents bigger than this are not kept (they would evict everything else).
const MAX_ENTRY_BYTES: usize = BUDGET_BYTES / 4;

type Value = Arc<dyn Any + Send + Sync>;

struct Entry {
    value: Value,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
}

impl Lru {
    fn evict_to(&mut self, target: usize) {
        while self.bytes > target {
            let oldest = self.entries.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone());
            match oldest.and_then(|k| self.entries.remove(&k)) {
                Some(entry) => self.bytes = self.bytes.saturating_sub(entry.bytes),
                None => break,
            }
        }
    }
}

thread_local! {
    static CACHE: RefCell<Lru> = RefCell::new(Lru::default());
}

/// The cached value for `key`, if present and of type `T`.
pub fn get<T: Any + Send + Sync>(key: &str) -> Option<Arc<T>> {
    CACHE.with(|cell| {
        let mut lru = cell.borrow_mut();
        lru.clock = lru.clock.wrapping_add(1);
        let clock = lru.clock;
        let entry = lru.entries.get_mut(key)?;
        entry.last_used = clock;
        Arc::clone(&entry.value).downcast::<T>().ok()
    })
}

/// Keeps `value` (estimated at `bytes`) unless it is too big to be worth it.
pub fn put<T: Any + Send + Sync>(key: String, value: Arc<T>, bytes: usize) {
    if bytes > MAX_ENTRY_BYTES {
        return;
    }
    CACHE.with(|cell| {
        let mut lru = cell.borrow_mut();
        lru.clock = lru.clock.wrapping_add(1);
        let clock = lru.clock;
        if let Some(old) = lru.entries.insert(key, Entry { value, bytes, last_used: clock }) {
            lru.bytes = lru.bytes.saturating_sub(old.bytes);
        }
        lru.bytes = lru.bytes.saturating_add(bytes);
        if lru.bytes > BUDGET_BYTES {
            // Evict a little extra so eviction scans stay rare.
            lru.evict_to(BUDGET_BYTES - BUDGET_BYTES / 10);
        }
    });
}
