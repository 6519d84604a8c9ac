//! Amounts and dates as the page's language writes them (`CA$12.99` or `12,99 $`;
//! `5 Dec 2026` or `5 déc. 2026`), through `shared::locale`.

use shared::Money;

/// `amount` as the page's language writes it.
pub fn money(amount: Money) -> String {
    shared::locale::format_money_in(amount, &crate::language())
}

/// The day of `ms` (since the epoch, UTC) as the page's language writes it.
pub fn date(ms: u64) -> String {
    shared::locale::format_date_in(ms, &crate::language())
}
