//! Query-string encoding shared by the pages that build links and the worker that
//! parses them, so both agree on one canonical form.

/// Percent-encodes a query component (everything but `A–Z a–z 0–9 - _ . ~`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// `name=value&…` from pairs, values encoded.
pub fn query(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(n, v)| format!("{}={}", encode(n), encode(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_unicode() {
        assert_eq!(encode("Oat & Navy"), "Oat%20%26%20Navy");
        assert_eq!(encode("crème"), "cr%C3%A8me");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
