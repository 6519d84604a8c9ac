//! The shop's metrics: counts and latency histograms, added up per minute.
//!
//! Everything counted is a [`Key`] — a typed name (an event, a route, a currency, a
//! latency bucket), never text taken from a request, so the set of keys is bounded
//! whatever visitors send. The worker adds up each request in memory in a [`Batch`]
//! and sends batches to the metrics object off the request path; the object adds them
//! into its per-minute rows. A [`Report`] is what the dashboard and
//! `GET /api/v1/admin/metrics` read back for a [`Window`]: totals, per-route latency and
//! errors, the conversion funnel and per-minute series. Latency is a histogram with
//! fixed bucket edges, so p50 and p99 are the upper edge of the bucket holding that rank
//! (coarse, within one bucket, but they add up across isolates and minutes).

use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Upper edges (ms) of the latency buckets; the last bucket holds everything slower.
pub const BUCKET_EDGES_MS: [u32; 22] =
    [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000];
/// What the open-ended last bucket reports.
pub const OVERFLOW_MS: u32 = 10_000;

/// Where a request went: a fixed set, by the first segments of its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Home,
    Collection,
    Product,
    Content,
    Search,
    Sitemap,
    Cart,
    Checkout,
    Order,
    Admin,
    ApiCatalog,
    ApiCart,
    ApiCheckout,
    ApiOrder,
    ApiAdmin,
    ApiOther,
    Webhook,
    Other,
}

impl Route {
    /// The route of a path's segments (`/products/x` → `["products", "x"]`).
    pub fn of(segments: &[&str]) -> Route {
        match segments {
            [] | [""] => Route::Home,
            ["collections", ..] => Route::Collection,
            ["products", ..] => Route::Product,
            ["pages", ..] => Route::Content,
            ["search", ..] => Route::Search,
            ["sitemap.xml"] | ["sitemaps", ..] | ["robots.txt"] => Route::Sitemap,
            ["cart", ..] => Route::Cart,
            ["checkout", ..] => Route::Checkout,
            ["orders", ..] => Route::Order,
            ["admin", ..] => Route::Admin,
            ["api", "v1", "products" | "collections" | "search", ..] => Route::ApiCatalog,
            ["api", "v1", "carts", ..] => Route::ApiCart,
            ["api", "v1", "checkouts", ..] => Route::ApiCheckout,
            ["api", "v1", "orders", ..] => Route::ApiOrder,
            ["api", "v1", "admin", ..] => Route::ApiAdmin,
            ["api", ..] => Route::ApiOther,
            ["webhooks", ..] => Route::Webhook,
            _ => Route::Other,
        }
    }

    /// Its name in reports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Home => "home",
            Route::Collection => "collection",
            Route::Product => "product",
            Route::Content => "content",
            Route::Search => "search",
            Route::Sitemap => "sitemap",
            Route::Cart => "cart",
            Route::Checkout => "checkout",
            Route::Order => "order",
            Route::Admin => "admin",
            Route::ApiCatalog => "api_catalog",
            Route::ApiCart => "api_cart",
            Route::ApiCheckout => "api_checkout",
            Route::ApiOrder => "api_order",
            Route::ApiAdmin => "api_admin",
            Route::ApiOther => "api_other",
            Route::Webhook => "webhook",
            Route::Other => "other",
        }
    }

    /// Whether a `GET` of it answered with a page is a shopper's page view.
    pub fn is_shop_page(self) -> bool {
        match self {
            Route::Home
            | Route::Collection
            | Route::Product
            | Route::Content
            | Route::Search
            | Route::Cart
            | Route::Checkout
            | Route::Order => true,
            Route::Sitemap
            | Route::Admin
            | Route::ApiCatalog
            | Route::ApiCart
            | Route::ApiCheckout
            | Route::ApiOrder
            | Route::ApiAdmin
            | Route::ApiOther
            | Route::Webhook
            | Route::Other => false,
        }
    }
}

/// What shoppers and the shop's machinery do, counted once each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    AddToCart,
    /// A checkout's first step taken (the contact saved).
    CheckoutStarted,
    /// An order paid (counted once per order, when its confirmation is written).
    OrderPlaced,
    /// A cart left with lines and no order for the abandonment delay.
    CartAbandoned,
    /// A message the order queue's consumer handled.
    QueueMessage,
}

/// One counted quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Key {
    Event {
        event: Event,
    },
    /// A page view (a `GET` answered 200 with a page), by route.
    View {
        route: Route,
    },
    /// Minor units of placed orders' totals.
    Revenue {
        currency: Currency,
    },
    Requests {
        route: Route,
    },
    /// Answers with a 5xx status.
    Errors {
        route: Route,
    },
    /// Requests of the route whose duration fell in `bucket` (see [`BUCKET_EDGES_MS`]).
    Latency {
        route: Route,
        bucket: u8,
    },
    /// Catalog pages answered from the full-page cache (`hit`) or rendered.
    PageCache {
        hit: bool,
    },
    /// Milliseconds the queue's messages waited between sending and handling, summed.
    QueueLagMs,
}

/// The bucket a duration (ms) falls in.
pub fn bucket_of(ms: f64) -> u8 {
    let bucket =
        BUCKET_EDGES_MS.iter().position(|edge| ms <= f64::from(*edge)).unwrap_or(BUCKET_EDGES_MS.len());
    u8::try_from(bucket).unwrap_or(u8::MAX)
}

/// The upper edge (ms) of a bucket.
pub fn bucket_edge(bucket: u8) -> u32 {
    BUCKET_EDGES_MS.get(usize::from(bucket)).copied().unwrap_or(OVERFLOW_MS)
}

/// The `q` quantile (0 < q ≤ 1) of a histogram (requests per bucket) as a bucket's upper
/// edge; `None` when it is empty.
pub fn quantile(histogram: &BTreeMap<u8, i64>, q: f64) -> Option<u32> {
    let total: i64 = histogram.values().map(|n| (*n).max(0)).fold(0, i64::saturating_add);
    if total == 0 {
        return None;
    }
    // The rank of the quantile, 1-based: the smallest n with n ≥ q × total.
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut seen: i64 = 0;
    for (bucket, count) in histogram {
        seen = seen.saturating_add((*count).max(0));
        if seen >= rank {
            return Some(bucket_edge(*bucket));
        }
    }
    None
}

/// The minute (since the epoch) of a moment in ms.
pub fn minute_of(ms: f64) -> u64 {
    (ms.max(0.0) / 60_000.0) as u64
}

/// One row of a batch: `value` added to `key` in `minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub minute: u64,
    #[serde(flatten)]
    pub key: Key,
    pub value: i64,
}

/// Counts of one or more minutes, added up in memory and sent in one go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    counts: HashMap<(u64, Key), i64>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn add(&mut self, minute: u64, key: Key, value: i64) {
        let slot = self.counts.entry((minute, key)).or_insert(0);
        *slot = slot.saturating_add(value);
    }

    /// One answered request: its route, status, duration, whether it was a page view,
    /// and its page-cache outcome if it is a cacheable page.
    pub fn request(&mut self, minute: u64, route: Route, answer: Answer) {
        self.add(minute, Key::Requests { route }, 1);
        if answer.status >= 500 {
            self.add(minute, Key::Errors { route }, 1);
        }
        if answer.page_view && route.is_shop_page() {
            self.add(minute, Key::View { route }, 1);
        }
        if let Some(hit) = answer.page_cache_hit {
            self.add(minute, Key::PageCache { hit }, 1);
        }
        self.add(minute, Key::Latency { route, bucket: bucket_of(answer.ms) }, 1);
    }

    /// Adds another batch into this one.
    pub fn merge(&mut self, other: Batch) {
        for ((minute, key), value) in other.counts {
            self.add(minute, key, value);
        }
    }

    /// Keeps only the newest `minutes` minutes (what an isolate holds while the metrics
    /// object cannot be reached).
    pub fn keep_newest(&mut self, minutes: u64) {
        if let Some(newest) = self.counts.keys().map(|(m, _)| *m).max() {
            let oldest = newest.saturating_sub(minutes.saturating_sub(1));
            self.counts.retain(|(m, _), _| *m >= oldest);
        }
    }

    /// Its rows, in a stable order.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = self
            .counts
            .iter()
            .map(|((minute, key), value)| Row { minute: *minute, key: *key, value: *value })
            .collect();
        rows.sort_by_key(|r| (r.minute, r.key));
        rows
    }

    pub fn from_rows(rows: impl IntoIterator<Item = Row>) -> Batch {
        let mut batch = Batch::default();
        for row in rows {
            batch.add(row.minute, row.key, row.value);
        }
        batch
    }
}

/// How a request was answered, as metrics see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// Milliseconds from its arrival to its answer.
    pub ms: f64,
    /// A `GET` answered 200 with a page.
    pub page_view: bool,
    /// For a cacheable page: answered from the full-page cache or not.
    pub page_cache_hit: Option<bool>,
}

/// The span a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    Hour,
    Day,
}

impl Window {
    pub const ALL: [Window; 2] = [Window::Hour, Window::Day];

    pub fn parse(text: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.as_str() == text)
    }

    /// The `window` a query asked for: the hour when it says none.
    pub fn from_query(text: Option<&str>) -> Result<Window, String> {
        match text {
            None => Ok(Window::Hour),
            Some(name) => Window::parse(name).ok_or_else(|| "`window` must be `hour` or `day`.".to_string()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }

    /// What the dashboard calls it.
    pub fn title(self) -> &'static str {
        match self {
            Window::Hour => "Last hour",
            Window::Day => "Last day",
        }
    }

    pub fn minutes(self) -> u64 {
        match self {
            Window::Hour => 60,
            Window::Day => 1_440,
        }
    }

    /// Minutes per point of the series (60 points for the hour, 144 for the day).
    pub fn step(self) -> u64 {
        match self {
            Window::Hour => 1,
            Window::Day => 10,
        }
    }
}

/// One route's requests over the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteStats {
    pub route: Route,
    pub requests: i64,
    pub errors: i64,
    /// errors / requests.
    pub error_rate: f64,
    pub p50_ms: Option<u32>,
    pub p99_ms: Option<u32>,
}

/// Shoppers' steps over the window, in funnel order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub product_views: i64,
    pub add_to_carts: i64,
    pub checkouts_started: i64,
    pub orders_placed: i64,
}

impl Funnel {
    /// The steps with their names, in order.
    pub fn steps(&self) -> [(&'static str, i64); 4] {
        [
            ("Product views", self.product_views),
            ("Added to cart", self.add_to_carts),
            ("Checkouts started", self.checkouts_started),
            ("Orders placed", self.orders_placed),
        ]
    }
}

/// Page views of one route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageViews {
    pub page: Route,
    pub views: i64,
}

/// One point of the series: sums over `step` minutes from `minute`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub minute: u64,
    pub requests: i64,
    pub errors: i64,
    pub orders: i64,
    /// The p99 of every request in the step (ms), if it had any.
    pub p99_ms: Option<u32>,
}

/// The metrics of a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub window: Window,
    /// The first and last minute covered (minutes since the epoch).
    pub from_minute: u64,
    pub to_minute: u64,
    pub requests: i64,
    pub errors: i64,
    pub page_views: Vec<PageViews>,
    pub funnel: Funnel,
    /// Placed orders' totals, per currency.
    pub revenue: Vec<Money>,
    pub carts_abandoned: i64,
    /// hits / (hits + renders) of the full-page cache; `None` before any cacheable page.
    pub page_cache_hit_ratio: Option<f64>,
    pub queue_messages: i64,
    /// Mean wait of the queue's messages (ms).
    pub queue_lag_ms: Option<f64>,
    pub routes: Vec<RouteStats>,
    pub series: Vec<Point>,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Report {
    /// The report of `window` ending with minute `to`, from a batch holding (at least)
    /// those minutes.
    pub fn build(batch: &Batch, window: Window, to: u64) -> Report {
        let from = to.saturating_sub(window.minutes().saturating_sub(1));
        let mut totals: BTreeMap<Key, i64> = BTreeMap::new();
        let step = window.step().max(1);
        let points = usize::try_from(window.minutes().checked_div(step).unwrap_or(0)).unwrap_or(0);
        let mut series: Vec<Point> = (0..points as u64)
            .map(|i| Point { minute: from.saturating_add(i.saturating_mul(step)), ..Point::default() })
            .collect();
        let mut latency: BTreeMap<Route, BTreeMap<u8, i64>> = BTreeMap::new();
        let mut point_latency: Vec<BTreeMap<u8, i64>> = vec![BTreeMap::new(); points];
        for ((minute, key), value) in &batch.counts {
            if *minute < from || *minute > to {
                continue;
            }
            let slot = totals.entry(*key).or_insert(0);
            *slot = slot.saturating_add(*value);
            let index = usize::try_from(minute.saturating_sub(from).checked_div(step).unwrap_or(0))
                .unwrap_or(usize::MAX);
            let point = series.get_mut(index);
            match (key, point) {
                (Key::Requests { .. }, Some(p)) => p.requests = p.requests.saturating_add(*value),
                (Key::Errors { .. }, Some(p)) => p.errors = p.errors.saturating_add(*value),
                (Key::Event { event: Event::OrderPlaced }, Some(p)) => {
                    p.orders = p.orders.saturating_add(*value)
                }
                (Key::Latency { route, bucket }, _) => {
                    let n = latency.entry(*route).or_default().entry(*bucket).or_insert(0);
                    *n = n.saturating_add(*value);
                    if let Some(h) = point_latency.get_mut(index) {
                        let n = h.entry(*bucket).or_insert(0);
                        *n = n.saturating_add(*value);
                    }
                }
                _ => {}
            }
        }
        for (point, histogram) in series.iter_mut().zip(&point_latency) {
            point.p99_ms = quantile(histogram, 0.99);
        }
        let get = |key: Key| totals.get(&key).copied().unwrap_or(0);
        let event = |event: Event| get(Key::Event { event });
        let mut routes: Vec<RouteStats> = Vec::new();
        let mut page_views: Vec<PageViews> = Vec::new();
        let mut revenue: Vec<Money> = Vec::new();
        let (mut requests, mut errors) = (0_i64, 0_i64);
        for (key, value) in &totals {
            match key {
                Key::Requests { route } => {
                    let errs = get(Key::Errors { route: *route });
                    let histogram = latency.get(route);
                    requests = requests.saturating_add(*value);
                    errors = errors.saturating_add(errs);
                    routes.push(RouteStats {
                        route: *route,
                        requests: *value,
                        errors: errs,
                        error_rate: ratio(errs, *value).unwrap_or(0.0),
                        p50_ms: histogram.and_then(|h| quantile(h, 0.5)),
                        p99_ms: histogram.and_then(|h| quantile(h, 0.99)),
                    });
                }
                Key::View { route } => page_views.push(PageViews { page: *route, views: *value }),
                Key::Revenue { currency } => revenue.push(Money::new(*value, *currency)),
                Key::Event { .. }
                | Key::Errors { .. }
                | Key::Latency { .. }
                | Key::PageCache { .. }
                | Key::QueueLagMs => {}
            }
        }
        let hits = get(Key::PageCache { hit: true });
        let messages = event(Event::QueueMessage);
        Report {
            window,
            from_minute: from,
            to_minute: to,
            requests,
            errors,
            page_views,
            funnel: Funnel {
                product_views: get(Key::View { route: Route::Product }),
                add_to_carts: event(Event::AddToCart),
                checkouts_started: event(Event::CheckoutStarted),
                orders_placed: event(Event::OrderPlaced),
            },
            revenue,
            carts_abandoned: event(Event::CartAbandoned),
            page_cache_hit_ratio: ratio(hits, hits.saturating_add(get(Key::PageCache { hit: false }))),
            queue_messages: messages,
            queue_lag_ms: ratio(get(Key::QueueLagMs), messages),
            routes,
            series,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(status: u16, ms: f64, page_cache_hit: Option<bool>) -> Answer {
        Answer { status, ms, page_view: status == 200, page_cache_hit }
    }

    #[test]
    fn routes_are_a_fixed_set_whatever_the_path() {
        assert_eq!(Route::of(&[""]), Route::Home);
        assert_eq!(Route::of(&["products", "tee"]), Route::Product);
        assert_eq!(Route::of(&["api", "v1", "carts", "x", "lines"]), Route::ApiCart);
        assert_eq!(Route::of(&["api", "v1", "nothing"]), Route::ApiOther);
        assert_eq!(Route::of(&["wp-login.php"]), Route::Other);
        assert_eq!(Route::of(&["ünïcödé", "🦀"]), Route::Other);
        assert!(
            Route::Product.is_shop_page()
                && !Route::ApiCatalog.is_shop_page()
                && !Route::Admin.is_shop_page()
        );
    }

    #[test]
    fn durations_fall_in_the_bucket_whose_edge_bounds_them() {
        assert_eq!(bucket_of(0.2), 0);
        assert_eq!(bucket_of(1.0), 0);
        assert_eq!(bucket_of(1.01), 1);
        assert_eq!(bucket_edge(bucket_of(42.0)), 50);
        assert_eq!(usize::from(bucket_of(99_999.0)), BUCKET_EDGES_MS.len());
        assert_eq!(bucket_edge(bucket_of(f64::NAN)), OVERFLOW_MS);
    }

    #[test]
    fn quantiles_are_bucket_edges_at_their_rank() {
        let mut h = BTreeMap::new();
        h.insert(bucket_of(4.0), 98);
        h.insert(bucket_of(400.0), 2);
        assert_eq!(quantile(&h, 0.5), Some(5));
        assert_eq!(quantile(&h, 0.99), Some(500));
        assert_eq!(quantile(&BTreeMap::new(), 0.5), None);
    }

    #[test]
    fn a_report_sums_its_window_and_nothing_else() {
        let mut batch = Batch::default();
        batch.request(100, Route::Product, answer(200, 12.0, Some(false)));
        batch.request(100, Route::Product, answer(200, 3.0, Some(true)));
        batch.request(130, Route::Product, answer(503, 2_500.0, None));
        batch.request(130, Route::ApiCart, answer(201, 8.0, None));
        batch.add(130, Key::Event { event: Event::AddToCart }, 1);
        batch.add(130, Key::Event { event: Event::OrderPlaced }, 1);
        batch.add(130, Key::Revenue { currency: Currency::USD }, 4_500);
        batch.add(5, Key::Event { event: Event::OrderPlaced }, 7); // before the window
        batch.add(141, Key::Event { event: Event::OrderPlaced }, 7); // after it
        let report = Report::build(&batch, Window::Hour, 140);
        assert_eq!((report.from_minute, report.to_minute), (81, 140));
        assert_eq!(
            report.funnel,
            Funnel { product_views: 2, add_to_carts: 1, checkouts_started: 0, orders_placed: 1 }
        );
        assert_eq!(report.revenue, vec![Money::new(4_500, Currency::USD)]);
        assert_eq!(report.page_cache_hit_ratio, Some(0.5));
        assert_eq!((report.requests, report.errors), (4, 1));
        let product = report.routes.iter().find(|r| r.route == Route::Product).unwrap();
        assert_eq!((product.requests, product.errors), (3, 1));
        assert!((product.error_rate - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!((product.p50_ms, product.p99_ms), (Some(15), Some(3000)));
        assert_eq!(
            report.page_views,
            vec![PageViews { page: Route::Product, views: 2 }],
            "the API is not a page"
        );
        assert_eq!(report.series.len(), 60);
        assert_eq!(report.series.iter().map(|p| p.requests).sum::<i64>(), 4);
        assert_eq!(report.series.iter().map(|p| p.orders).sum::<i64>(), 1);
        assert_eq!(report.series[19].p99_ms, Some(15), "minute 100 is point 19");
    }

    #[test]
    fn a_day_has_ten_minute_points() {
        let mut batch = Batch::default();
        batch.add(10_000, Key::Event { event: Event::OrderPlaced }, 1);
        batch.add(10_009, Key::Event { event: Event::OrderPlaced }, 1);
        let report = Report::build(&batch, Window::Day, 10_009);
        assert_eq!(report.series.len(), 144);
        assert_eq!(report.series.iter().map(|p| p.orders).max(), Some(2));
    }

    #[test]
    fn rows_carry_typed_keys_and_come_back_the_same() {
        let mut batch = Batch::default();
        batch.request(7, Route::Search, answer(200, 9.0, Some(true)));
        batch.add(7, Key::Revenue { currency: Currency::EUR }, 1_250);
        let json = serde_json::to_string(&batch.rows()).unwrap();
        assert!(json.contains(r#""key":"revenue","currency":"EUR""#), "{json}");
        let back: Vec<Row> = serde_json::from_str(&json).unwrap();
        assert_eq!(Batch::from_rows(back), batch);
        assert!(serde_json::from_str::<Row>(r#"{"minute":1,"key":"requests","route":"made-up","value":1}"#)
            .is_err());
    }

    #[test]
    fn an_isolate_keeps_only_its_newest_minutes() {
        let mut batch = Batch::default();
        for minute in 0..10 {
            batch.add(minute, Key::QueueLagMs, 1);
        }
        batch.keep_newest(3);
        assert_eq!(batch.rows().iter().map(|r| r.minute).collect::<Vec<_>>(), vec![7, 8, 9]);
    }

    proptest! {
        #[test]
        fn merging_batches_is_adding_them(
            a in proptest::collection::vec((0u64..5, 100u16..600, 0.0f64..6_000.0), 0..40),
            b in proptest::collection::vec((0u64..5, 100u16..600, 0.0f64..6_000.0), 0..40),
        ) {
            let (mut left, mut right, mut both) = (Batch::default(), Batch::default(), Batch::default());
            for (minute, status, ms) in &a {
                left.request(*minute, Route::Cart, answer(*status, *ms, None));
                both.request(*minute, Route::Cart, answer(*status, *ms, None));
            }
            for (minute, status, ms) in &b {
                right.request(*minute, Route::Home, answer(*status, *ms, Some(true)));
                both.request(*minute, Route::Home, answer(*status, *ms, Some(true)));
            }
            left.merge(right);
            prop_assert_eq!(left, both);
        }

        #[test]
        fn quantiles_never_decrease_with_q(counts in proptest::collection::btree_map(0u8..23, 1i64..50, 1..10)) {
            let p50 = quantile(&counts, 0.5);
            let p99 = quantile(&counts, 0.99);
            prop_assert!(p50.is_some() && p50 <= p99);
        }
    }
}
