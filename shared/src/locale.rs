//! Numbers, prices and dates as each language writes them, for the shop's editions:
//! English `CA$1,234.50` and `5 Dec 2026`, French `1 234,50 $` and `5 déc. 2026`. The
//! amounts are the same integers in every language; only their text changes.
//! (`money::format_money` is English, the default; both group digits alike.)

use crate::markets::Language;
use crate::money::{format_money, group_digits, Currency, Money};

/// How a language writes an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Style {
    decimal: char,
    group: char,
    /// `1 234,50 €` rather than `€1,234.50`.
    symbol_after: bool,
}

fn style(language: &Language) -> Option<Style> {
    match language.as_str() {
        // A narrow no-break space groups thousands in French.
        "fr" => Some(Style { decimal: ',', group: '\u{202F}', symbol_after: true }),
        "de" | "es" | "it" | "nl" | "pt" | "da" => {
            Some(Style { decimal: ',', group: '.', symbol_after: true })
        }
        _ => None,
    }
}

/// The symbol written after an amount (`1 234,50 $`).
fn suffix_symbol(currency: Currency) -> &'static str {
    match currency.code() {
        "CAD" => "$",
        "USD" => "$ US",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "CHF" => "CHF",
        "AUD" => "$ AU",
        _ => "",
    }
}

/// `money` as `language` writes it (English, and any language without a style of its
/// own, as [`format_money`]).
pub fn format_money_in(money: Money, language: &Language) -> String {
    let Some(style) = style(language) else { return format_money(money) };
    let currency = money.currency();
    let digits = currency.minor_digits();
    let scale = currency.scale();
    let magnitude = money.minor().unsigned_abs();
    let grouped = group_digits(magnitude / scale, style.group);
    let number = if digits == 0 {
        grouped
    } else {
        format!("{grouped}{}{:0width$}", style.decimal, magnitude % scale, width = digits as usize)
    };
    let sign = if money.minor() < 0 { "-" } else { "" };
    let symbol = suffix_symbol(currency);
    let symbol = if symbol.is_empty() { currency.code() } else { symbol };
    // A no-break space keeps the amount and its currency on one line.
    format!("{sign}{number}\u{A0}{symbol}")
}

const MONTHS_EN: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_FR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];

/// A day (milliseconds since the epoch, UTC) as `language` writes it: `5 Dec 2026`,
/// `5 déc. 2026`.
pub fn format_date_in(ms: u64, language: &Language) -> String {
    let (year, month, day) = crate::text::civil_date(ms);
    let months = if language.as_str() == "fr" { &MONTHS_FR } else { &MONTHS_EN };
    let name = months.get(month.saturating_sub(1) as usize).copied().unwrap_or("");
    format!("{day} {name} {year}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn each_language_writes_amounts_its_way() {
        assert_eq!(format_money_in(money(123_450, "CAD"), &lang("en")), "CA$1,234.50");
        assert_eq!(format_money_in(money(123_450, "CAD"), &lang("fr")), "1\u{202F}234,50\u{A0}$");
        assert_eq!(format_money_in(money(8900, "USD"), &lang("fr")), "89,00\u{A0}$ US");
        assert_eq!(format_money_in(money(-1050, "EUR"), &lang("de")), "-10,50\u{A0}€");
        assert_eq!(format_money_in(money(1200, "JPY"), &lang("fr")), "1\u{202F}200\u{A0}¥");
        assert_eq!(format_money_in(money(1234, "KWD"), &lang("fr")), "1,234\u{A0}KWD");
        // A language without a style of its own writes as English does.
        assert_eq!(format_money_in(money(8900, "USD"), &lang("ja")), "$89.00");
    }

    #[test]
    fn each_language_writes_dates_its_way() {
        let day = 1_796_483_045_000; // 2026-12-05
        assert_eq!(format_date_in(day, &lang("en")), "5 Dec 2026");
        assert_eq!(format_date_in(day, &lang("fr")), "5 déc. 2026");
        assert_eq!(format_date_in(0, &lang("fr")), "1 janv. 1970");
    }
}
