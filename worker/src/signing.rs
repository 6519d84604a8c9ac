//! HMAC-SHA256 signatures with the `SIGNING_SECRET`: signed cart ids (the cart cookie
//! and the API's bearer token are `{id}.{signature}`), and order numbers and tokens
//! derived from the checkout's idempotency key, so re-running a completion yields the
//! same order rather than a second one.

use crate::error::{AppError, AppResult};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::CartId;
use worker::Env;

type HmacSha256 = Hmac<Sha256>;

/// Secret used for every signature; `.dev.vars` locally, `wrangler secret put` in production.
pub const SECRET_BINDING: &str = "SIGNING_SECRET";

pub struct Signer {
    /// Keyed once; cloned for each signature.
    keyed: HmacSha256,
}

const BASE32: &[u8; 32] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";

pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity((bytes.len() / 3).saturating_add(1).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // Three bytes make four characters; one or two make two or three (no padding).
        let shifts: &[u32] = match chunk.len() {
            1 => &[18, 12],
            2 => &[18, 12, 6],
            _ => &[18, 12, 6, 0],
        };
        for shift in shifts {
            let sextet = ((n >> shift) & 63) as usize;
            out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
        }
    }
    out
}

impl Signer {
    pub fn from_env(env: &Env) -> AppResult<Signer> {
        let secret = crate::bindings::text(env, SECRET_BINDING)
            .ok_or_else(|| AppError::Internal(format!("{SECRET_BINDING} is not configured")))?;
        if secret.len() < 16 {
            return Err(AppError::Internal(format!("{SECRET_BINDING} must be at least 16 characters")));
        }
        let keyed = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
            .map_err(|e| AppError::internal("keying HMAC", e))?;
        Ok(Signer { keyed })
    }

    fn tag(&self, purpose: &str, message: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `{id}.{signature}`: the cart cookie's value and the API's bearer token.
    pub fn cart_token(&self, id: &CartId) -> String {
        format!("{id}.{}", base64url(&self.tag("cart", id.as_str())[..16]))
    }

    /// The cart id of a token, if its signature is right (compared in constant time).
    pub fn verify_cart_token(&self, token: &str) -> Option<CartId> {
        let (id, signature) = token.trim().split_once('.')?;
        let id = CartId::parse(id).ok()?;
        let expected = self.cart_token(&id);
        let given = format!("{id}.{signature}");
        constant_time_eq(expected.as_bytes(), given.as_bytes()).then_some(id)
    }

    /// The CSRF token of a session: forms carry it, and only this session's pages have it.
    pub fn csrf_token(&self, session: &CartId) -> String {
        self.mac("csrf", session.as_str())
    }

    /// A 128-bit signature of `message` for `purpose`, base64url (22 characters).
    pub fn mac(&self, purpose: &str, message: &str) -> String {
        base64url(&self.tag(purpose, message)[..16])
    }

    /// `{expires}.{id}.{signature}`: `id` until `expires` (unix seconds), signed for
    /// `purpose` and bound to `bound` (a value that, once changed, voids it — the admin
    /// token for the merchant's session). A session cookie's value.
    pub fn seal(&self, purpose: &str, expires: u64, id: &str, bound: &str) -> String {
        let claims = format!("{expires}.{id}");
        let signature = self.mac(purpose, &format!("{claims}\0{bound}"));
        format!("{claims}.{signature}")
    }

    /// The id a sealed value carries, if it is genuine and unexpired at `now_seconds`.
    /// Ids are lower-case hex digits and `-`, at most 100 of them.
    pub fn unseal(&self, purpose: &str, value: &str, bound: &str, now_seconds: u64) -> Option<String> {
        let value = value.trim();
        let mut parts = value.splitn(3, '.');
        let (expires, id, _) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: u64 = expires.parse().ok()?;
        let id_ok = !id.is_empty()
            && id.len() <= 100
            && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-');
        if expires <= now_seconds || !id_ok {
            return None;
        }
        let expected = self.seal(purpose, expires, id, bound);
        constant_time_eq(expected.as_bytes(), value.as_bytes()).then(|| id.to_string())
    }

    /// The order number of a cart's completion attempt: `FL-XXXXX-XXXXX`.
    pub fn order_number(&self, cart: &CartId, idempotency_key: &str) -> String {
        let tag = self.tag("order", &format!("{cart}:{idempotency_key}"));
        let mut bits: u64 = 0;
        for b in tag.iter().take(8) {
            bits = (bits << 8) | u64::from(*b);
        }
        let digit =
            |shift: u64| char::from(BASE32.get(((bits >> shift) & 31) as usize).copied().unwrap_or(b'A'));
        let first: String = [0, 5, 10, 15, 20].into_iter().map(digit).collect();
        let second: String = [25, 30, 35, 40, 45].into_iter().map(digit).collect();
        format!("FL-{first}-{second}")
    }

    /// The secret token of an order's confirmation page.
    pub fn order_token(&self, number: &str) -> String {
        shared::ids::hex(self.tag("order-token", number).get(..16).unwrap_or_default())
    }
}

/// Compares without an early exit, so timing reveals nothing about where bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // Compared as SHA-256 digests: always 32 bytes each, so the time taken says nothing
    // about either length (a secret's length included), nor where they first differ.
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
