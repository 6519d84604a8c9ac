//! Query-string encoding shared by the pages that build links and the worker that
//! parses them, so both agree on one canonical form; and the one rule for where the
//! shop may send a browser (`local_location`).

/// Percent-encodes a query component (everything but `A–Z a–z 0–9 - _ . ~`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `name=value&…` from pairs, values encoded.
pub fn query(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(n, v)| format!("{}={}", encode(n), encode(v))).collect::<Vec<_>>().join("&")
}

/// A `Location` that stays on the shop, whatever `target` holds: a path with exactly one
/// leading `/`. Browsers read `//host`, `/\host` and `/<tab>/host` as another site
/// (backslashes count as slashes, tabs and newlines are dropped), so every leading run of
/// slashes, backslashes, whitespace and control characters collapses to one `/`; the
/// rest is kept, with control characters and whitespace removed (a header value cannot
/// hold them anyway). Anything that is not a path (`https://…`) becomes a path on the
/// shop.
pub fn local_location(target: &str) -> String {
    let cleaned: String = target.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect();
    let rest = cleaned.trim_start_matches(['/', '\\']);
    format!("/{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn locations_stay_on_the_shop() {
        assert_eq!(local_location("/cart"), "/cart");
        assert_eq!(local_location("/orders/FL-1?token=ab"), "/orders/FL-1?token=ab");
        assert_eq!(local_location("/"), "/");
        assert_eq!(local_location(""), "/");
        for crafted in [
            "//other.example",
            "/\\other.example",
            "\\\\other.example",
            "/\t/other.example",
            "/\n/other.example",
            " //other.example",
            "///other.example/x",
        ] {
            let location = local_location(crafted);
            assert!(location.starts_with("/other.example"), "{crafted:?} → {location}");
        }
        assert_eq!(local_location("https://other.example/"), "/https://other.example/");
        assert_eq!(local_location("/%2F%2Fother.example"), "/%2F%2Fother.example", "encoded: a path");
    }

    proptest! {
        /// Whatever the text, the result is one `/` then something that is neither a slash
        /// nor a backslash, with no control characters or whitespace.
        #[test]
        fn any_text_makes_a_same_origin_path(target in any::<String>()) {
            let location = local_location(&target);
            prop_assert!(location.starts_with('/'));
            let second = location.chars().nth(1);
            prop_assert!(!matches!(second, Some('/' | '\\')), "{location:?}");
            prop_assert!(!location.chars().any(|c| c.is_control() || c.is_whitespace()));
        }
    }

    #[test]
    fn encodes_reserved_and_unicode() {
        assert_eq!(encode("Oat & Navy"), "Oat%20%26%20Navy");
        assert_eq!(encode("crème"), "cr%C3%A8me");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
