//! The order desk's export: orders as a CSV file (RFC 4180) a spreadsheet or an
//! accounting tool opens — one row per order, amounts as decimals in the order's
//! currency, moments in UTC.
//!
//! Everything in a row but the amounts and moments was typed by a shopper or the
//! merchant, so a cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a
//! tab or a carriage return first) is written with a leading `'`, which spreadsheets
//! show as text (OWASP's advice against CSV injection).
//!
//! Written by hand rather than with the `csv` crate: quoting is a few lines, and the
//! worker's size budget has no room for a general reader/writer.

use super::Order;
use crate::money::format_decimal;
use crate::text::utc_minute;

/// The most orders one export holds (the newest that match).
pub const MAX_EXPORT: u32 = 5_000;

/// The header row's column names, in order.
pub const COLUMNS: [&str; 21] = [
    "number",
    "placed_at",
    "status",
    "email",
    "name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "items",
    "currency",
    "subtotal",
    "discount",
    "discount_code",
    "shipping",
    "tax",
    "total",
    "tracking",
    "edition",
];

/// A cell as CSV writes it: quoted when it holds a comma, a quote or a line break (its
/// quotes doubled), and defused when a spreadsheet would take it for a formula.
fn cell(text: &str) -> String {
    let defused = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// Appends `order`'s row.
fn order_row(out: &mut String, order: &Order) {
    let t = &order.totals;
    let a = &order.address;
    let items: u64 = order.lines.iter().map(|l| u64::from(l.quantity)).sum();
    row(
        out,
        &[
            order.number.clone(),
            utc_minute(order.created_at_ms),
            order.status.as_str().to_string(),
            order.email.clone(),
            a.name.clone(),
            a.line1.clone(),
            a.line2.clone(),
            a.city.clone(),
            a.region.clone(),
            a.postal_code.clone(),
            a.country.clone(),
            items.to_string(),
            t.total.currency().code().to_string(),
            format_decimal(t.subtotal),
            format_decimal(t.discount),
            t.discount_code.clone().unwrap_or_default(),
            format_decimal(t.shipping),
            format_decimal(t.tax),
            format_decimal(t.total),
            order.tracking.clone().unwrap_or_default(),
            order.edition.clone(),
        ],
    );
}

/// The whole file: the header row, then one row per order, as given.
pub fn orders_csv(orders: &[Order]) -> String {
    let mut out = String::new();
    row(&mut out, &COLUMNS.map(str::to_string));
    for order in orders {
        order_row(&mut out, order);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_cells_stay_as_they_are() {
        assert_eq!(cell("FL-ABCDE-23456"), "FL-ABCDE-23456");
        assert_eq!(cell("Zoë Ångström 🦀"), "Zoë Ångström 🦀");
        assert_eq!(cell(""), "");
        assert_eq!(cell("12.50"), "12.50");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(cell("Apt 4, rear"), "\"Apt 4, rear\"");
        assert_eq!(cell("the \"blue\" door"), "\"the \"\"blue\"\" door\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_written_as_text() {
        assert_eq!(cell("=HYPERLINK(\"http://evil\")"), "\"'=HYPERLINK(\"\"http://evil\"\")\"");
        for text in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(text).trim_start_matches('"').starts_with('\''), "{text:?}");
        }
        assert_eq!(cell("a=b"), "a=b", "only a first character starts a formula");
    }

    #[test]
    fn an_order_is_one_row_with_decimal_amounts() {
        let money = |minor: i64| serde_json::json!({ "minor": minor, "currency": "JPY" });
        let order: Order = serde_json::from_value(serde_json::json!({
            "number": "FL-ABCDE-23456", "token": "t", "email": "=cmd@example.com",
            "address": { "name": "Zoë, \"Z\"", "line1": "1-2-3 Ginza", "line2": "", "city": "Tokyo",
                         "region": "", "postal_code": "104-0061", "country": "JP" },
            "shipping_rate": "standard",
            "lines": [{ "product": "tee", "sku": "T-M", "title": "Tee", "variant_title": null, "quantity": 2,
                        "unit_price": money(1000), "line_total": money(2000) },
                      { "product": "mug", "sku": "MUG", "title": "Mug", "variant_title": null, "quantity": 1,
                        "unit_price": money(1500), "line_total": money(1500) }],
            "totals": { "subtotal": money(3500), "discount": money(0), "shipping": money(600), "tax": money(0),
                        "total": money(4100), "discount_code": null, "tax_name": null, "tax_rate": null,
                        "shipping_name": null },
            "status": "paid", "created_at_ms": 1_733_400_000_000u64, "fulfilled_at_ms": null,
        }))
        .unwrap();
        let csv = orders_csv(&[order]);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows.len(), 3, "header, one order, then the final line break: {csv:?}");
        assert_eq!(
            rows[1],
            "FL-ABCDE-23456,2024-12-05 12:00 UTC,paid,'=cmd@example.com,\"Zoë, \"\"Z\"\"\",1-2-3 Ginza,,Tokyo,,\
             104-0061,JP,3,JPY,3500,0,,600,0,4100,,"
        );
    }

    #[test]
    fn an_empty_export_is_its_header() {
        assert_eq!(orders_csv(&[]), format!("{}\r\n", COLUMNS.join(",")));
    }
}
