//! Customer accounts, without passwords: the rules both the worker and its customer
//! objects follow. An account is named by its email address, case-normalised (one
//! account per address, whatever case it is typed in); a customer signs in by a one-time
//! link sent to that address, and stays signed in by a session the account keeps (so
//! "sign out everywhere" ends them all).

use crate::checkout::{Address, Email};
use crate::ids::hex;
use crate::strings::Text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a sign-in link works, in milliseconds (15 minutes).
pub const LINK_TTL_MS: u64 = crate::mail::SIGN_IN_LINK_MINUTES * 60 * 1000;
/// At most this many sign-in links per address in [`LINK_TTL_MS`]; more are refused
/// (for every address alike, known or not).
pub const MAX_LINKS_PER_WINDOW: u32 = 3;
/// How long a customer stays signed in, in seconds (30 days).
pub const SESSION_SECONDS: u64 = 30 * 24 * 60 * 60;
/// Most addresses an account keeps.
pub const MAX_ADDRESSES: usize = 10;

/// The name of the account of `email`: 32 hex digits of SHA-256 over the normalised
/// address. It names the account's object and travels in its links and cookies, which
/// so never carry the address itself.
pub fn customer_key(email: &Email) -> String {
    let digest =
        Sha256::new().chain_update(b"customer\0").chain_update(email.normalized().as_bytes()).finalize();
    hex(digest.get(..16).unwrap_or_default())
}

/// Whether `text` is `len` lower-case hex digits.
pub fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What a sign-in link carries: the account it is for and its one-time secret, as
/// `{customer key}.{secret}` (32 hex digits each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkToken {
    pub customer: String,
    pub secret: String,
}

impl LinkToken {
    /// The token in a link's `t` parameter, if it has the shape of one (anything else is
    /// refused before any object is asked).
    pub fn parse(text: &str) -> Option<LinkToken> {
        let (customer, secret) = text.trim().split_once('.')?;
        (is_hex(customer, 32) && is_hex(secret, 32))
            .then(|| LinkToken { customer: customer.to_string(), secret: secret.to_string() })
    }

    pub fn as_text(&self) -> String {
        format!("{}.{}", self.customer, self.secret)
    }

    /// What the account stores of the secret: its SHA-256, so the account's storage
    /// holds nothing that signs anyone in.
    pub fn digest(&self) -> String {
        hex(&Sha256::digest(self.secret.as_bytes()))
    }
}

/// A signed-in customer, as their session cookie names them: the account and the
/// session (32 hex digits each), carried as `{customer}-{session}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRef {
    pub customer: String,
    pub session: String,
}

impl SessionRef {
    pub fn parse(text: &str) -> Option<SessionRef> {
        let (customer, session) = text.split_once('-')?;
        (is_hex(customer, 32) && is_hex(session, 32))
            .then(|| SessionRef { customer: customer.to_string(), session: session.to_string() })
    }

    pub fn as_text(&self) -> String {
        format!("{}-{}", self.customer, self.session)
    }
}

/// Why a sign-in link did not sign anyone in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRefusal {
    /// Not a link this shop sent (or one long gone).
    Unknown,
    Used,
    Expired,
}

impl LinkRefusal {
    /// The heading and message the shopper sees.
    pub fn shopper_text(self) -> (Text, Text) {
        match self {
            LinkRefusal::Unknown => (
                Text::new("This sign-in link does not work"),
                Text::new("It may be mistyped or cut short. Ask for a new link below."),
            ),
            LinkRefusal::Used => (
                Text::new("This sign-in link was already used"),
                Text::new(
                    "Each link signs in once. If that was not you, nobody else can use it now. Ask for a new link below.",
                ),
            ),
            LinkRefusal::Expired => (
                Text::new("This sign-in link has expired"),
                Text::new("Links work for {minutes} minutes. Ask for a new link below.")
                    .with("minutes", crate::mail::SIGN_IN_LINK_MINUTES.to_string()),
            ),
        }
    }
}

/// An address the customer saved, with the id its forms name it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: String,
    pub address: Address,
}

/// What a signed-in customer sees of their account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The address as it was first typed.
    pub email: String,
    pub created_at_ms: u64,
    /// Newest first.
    pub addresses: Vec<SavedAddress>,
}

impl Account {
    /// The saved address equal to `address`, if there is one (saving it again keeps one).
    pub fn saved(&self, address: &Address) -> Option<&SavedAddress> {
        self.addresses.iter().find(|saved| &saved.address == address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> Email {
        Email::parse(text).unwrap()
    }

    #[test]
    fn one_account_per_address_whatever_its_case() {
        let key = customer_key(&email("Ada@Example.com"));
        assert!(is_hex(&key, 32));
        assert_eq!(key, customer_key(&email(" ada@example.COM ")));
        assert_ne!(key, customer_key(&email("ada2@example.com")));
        assert!(!key.contains("ada"));
    }

    #[test]
    fn link_tokens_have_one_shape() {
        let token = LinkToken { customer: "a".repeat(32), secret: "0123456789abcdef".repeat(2) };
        assert_eq!(LinkToken::parse(&token.as_text()), Some(token.clone()));
        assert!(is_hex(&token.digest(), 64));
        assert_ne!(token.digest(), token.secret);
        for bad in [
            "",
            ".",
            "abc.def",
            &format!("{}.{}", "A".repeat(32), "a".repeat(32)),
            &format!("{}.{}", "a".repeat(32), "a".repeat(31)),
            &format!("{}.{}.x", "a".repeat(32), "a".repeat(32)),
            &format!("{}é.{}", "a".repeat(31), "a".repeat(32)),
        ] {
            assert_eq!(LinkToken::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn session_refs_round_trip_and_refuse_anything_else() {
        let r = SessionRef { customer: "0".repeat(32), session: "f".repeat(32) };
        assert_eq!(SessionRef::parse(&r.as_text()), Some(r));
        assert_eq!(SessionRef::parse("x"), None);
        assert_eq!(SessionRef::parse(&format!("{}-{}", "0".repeat(32), "F".repeat(32))), None);
    }

    #[test]
    fn every_refusal_says_what_to_do() {
        for refusal in [LinkRefusal::Unknown, LinkRefusal::Used, LinkRefusal::Expired] {
            let (heading, message) = refusal.shopper_text();
            assert!(!heading.english().is_empty() && message.english().contains("new link"));
        }
    }
}
