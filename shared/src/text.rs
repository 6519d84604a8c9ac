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

#[cfg(test)]
mod tests {
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
