//! The one non-cryptographic hash of the shop: FNV-1a, in 32 and 64 bits. Shards (of
//! SKUs, stock and orders), page validators, cache marks and catalog versions are
//! derived from it, and some of those are stored: its output must never change.

const OFFSET_32: u32 = 0x811c_9dc5;
const PRIME_32: u32 = 0x0100_0193;
const OFFSET_64: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME_64: u64 = 0x0100_0000_01b3;

/// 32-bit FNV-1a of `bytes`.
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(OFFSET_32, |hash, b| (hash ^ u32::from(*b)).wrapping_mul(PRIME_32))
}

/// Which of `shards` shards `key` belongs to (shard 0 when there are none).
pub fn shard(key: &str, shards: u32) -> u32 {
    fnv1a_32(key.as_bytes()).checked_rem(shards).unwrap_or(0)
}

/// 64-bit FNV-1a, fed in parts.
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(OFFSET_64)
    }
}

impl Fnv64 {
    pub fn new() -> Self {
        Fnv64::default()
    }

    /// Feeds `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        self.0 = bytes.iter().fold(self.0, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(PRIME_64));
        self
    }

    pub fn finish(&self) -> u64 {
        self.0
    }

    /// The hash as 16 lowercase hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_the_published_fnv_1a_values() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(Fnv64::new().finish(), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv64::new().write(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fnv64::new().write(b"foo").write(b"bar").finish(), 0x8594_4171_f739_67e8);
        assert_eq!(Fnv64::new().write(b"a").hex(), "af63dc4c8601ec8c");
    }

    #[test]
    fn shards_are_in_range_and_stable() {
        assert_eq!(shard("foobar", 16), 0xbf9c_f968 % 16);
        assert_eq!(shard("anything", 0), 0);
        for key in ["", "MCS-M-OAT", "FL-ABCDE-12345", "日本"] {
            assert!(shard(key, 8) < 8);
        }
    }
}
