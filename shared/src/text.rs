//! Text splicing for the pages the worker serves: placeholders filled per response and
//! markup rewritten after rendering, over ~30 KB pages, on every request.

use memchr::memmem;

/// `text` with every occurrence of each `from` replaced by its `to`, in one new string.
///
/// Occurrences are found with `memchr`'s substring search (much faster than `str::find`
/// on Wasm) and taken left to right; where two patterns would overlap, the one that
/// starts first wins and the other's overlapping occurrence is skipped.
pub fn replace_all(text: &str, pairs: &[(&str, &str)]) -> String {
    let bytes = text.as_bytes();
    let mut spots: Vec<(usize, usize, &str)> = pairs
        .iter()
        .filter(|(from, _)| !from.is_empty())
        .flat_map(|(from, to)| memmem::find_iter(bytes, from.as_bytes()).map(move |at| (at, from.len(), *to)))
        .collect();
    if spots.is_empty() {
        return text.to_string();
    }
    spots.sort_unstable_by_key(|(at, ..)| *at);
    let grown: usize = spots.iter().map(|(_, _, to)| to.len()).sum();
    let mut out = String::with_capacity(text.len().saturating_add(grown));
    let mut copied = 0;
    for (at, len, to) in spots {
        // Skips an occurrence inside one already replaced; `get` keeps to char
        // boundaries (a match of valid UTF-8 in valid UTF-8 starts and ends on one).
        if at < copied {
            continue;
        }
        out.push_str(text.get(copied..at).unwrap_or_default());
        out.push_str(to);
        copied = at.saturating_add(len);
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// A moment (ms since the epoch) as `YYYY-MM-DD HH:MM UTC`, for the merchant's pages.
pub fn utc_minute(ms: u64) -> String {
    let minutes = ms / 60_000;
    let (day_minute, days) = (minutes % 1_440, minutes / 1_440);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", day_minute / 60, day_minute % 60)
}

/// The (year, month, day) of a moment (ms since the epoch), in UTC.
pub fn civil_date(ms: u64) -> (u64, u64, u64) {
    civil_from_days(ms / 86_400_000)
}

/// The (year, month, day) of a count of days since 1970-01-01, in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`, for days on or after 1970).
#[allow(clippy::arithmetic_side_effects)] // every step is bounded by the u64 input / 146,097
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Whether `c` is an invisible formatting character: zero-width spaces and joiners,
/// bidirectional marks, embeddings, overrides and isolates, word joiners, the byte-order
/// mark. In an identifier (an email address) they make two different strings look the
/// same, or one read backwards.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    #[test]
    fn moments_read_as_utc_dates() {
        assert_eq!(super::utc_minute(0), "1970-01-01 00:00 UTC");
        for c in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}'] {
            assert!(super::is_invisible_format(c), "{c:?}");
        }
        for c in ['a', 'é', 'ü', '✓', '中', '\u{2010}'] {
            assert!(!super::is_invisible_format(c), "{c:?}");
        }
        assert_eq!(super::utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(super::utc_minute(1_796_483_045_000), "2026-12-05 15:04 UTC");
        assert_eq!(super::utc_minute(1_709_251_199_999), "2024-02-29 23:59 UTC");
    }

    use super::*;

    #[test]
    fn every_occurrence_of_every_pattern_is_replaced_in_order() {
        assert_eq!(replace_all("a<!>b<!>", &[("<!>", "<!---->")]), "a<!---->b<!---->");
        assert_eq!(replace_all("xNyCzN", &[("N", "nonce"), ("C", "csrf")]), "xnonceycsrfznonce");
        assert_eq!(replace_all("é€𝄞 NN", &[("N", "ü")]), "é€𝄞 üü");
        assert_eq!(replace_all("", &[("a", "b")]), "");
        assert_eq!(replace_all("abc", &[("", "x")]), "abc");
        assert_eq!(replace_all("abc", &[]), "abc");
        assert_eq!(replace_all("aaa", &[("aa", "b")]), "ba", "overlapping occurrences of one pattern");
        assert_eq!(replace_all("abc", &[("ab", "1"), ("bc", "2")]), "1c", "the first to start wins");
    }
}
