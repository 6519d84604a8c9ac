//! Who a rate limit counts: the key a client's requests are counted under.

use std::net::IpAddr;

/// The rate-limit key of a client address (`CF-Connecting-IP`). An IPv4 address counts
/// alone; an IPv6 address counts with its whole /64, the block one subscriber is usually
/// given, so a client cannot step around a limit by moving to the next address of its
/// own network. Anything that is not an address counts as itself (trimmed, bounded).
pub fn client_key(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                let prefix: Vec<String> = s.iter().take(4).map(|part| format!("{part:x}")).collect();
                format!("ip6:{}::/64", prefix.join(":"))
            }
        },
        Err(_) => format!("other:{}", address.trim().chars().take(64).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a = client_key("2001:db8:1234:5678::1");
        assert_eq!(a, "ip6:2001:db8:1234:5678::/64");
        assert_eq!(client_key("2001:0db8:1234:5678:ffff:ffff:ffff:ffff"), a, "the same /64");
        assert_ne!(client_key("2001:db8:1234:5679::1"), a, "the next /64 is another client");
        assert_eq!(client_key("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(
            client_key("::ffff:203.0.113.7"),
            "ip:203.0.113.7",
            "IPv4-mapped counts as the IPv4 address"
        );
        assert_ne!(client_key("203.0.113.7"), client_key("203.0.113.8"));
        assert_eq!(client_key("unknown"), "other:unknown");
    }

    proptest! {
        #[test]
        fn any_address_text_has_a_bounded_key(text in any::<String>()) {
            prop_assert!(client_key(&text).chars().count() <= 70);
        }

        #[test]
        fn every_address_of_a_64_has_one_key(prefix in any::<[u16; 4]>(), a in any::<[u16; 4]>(), b in any::<[u16; 4]>()) {
            let address = |tail: [u16; 4]| {
                let all: Vec<String> = prefix.iter().chain(tail.iter()).map(|p| format!("{p:x}")).collect();
                all.join(":")
            };
            let (first, second) = (client_key(&address(a)), client_key(&address(b)));
            // An IPv4-mapped prefix (::ffff:0:0/96) counts per IPv4 address instead.
            if !first.starts_with("ip:") && !second.starts_with("ip:") {
                prop_assert_eq!(first, second);
            }
        }
    }
}
