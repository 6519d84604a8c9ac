//! Every parser in `shared` that reads text from a request, fed arbitrary Unicode — and
//! the kinds that break byte-offset code: multi-byte letters, combining marks, bidi
//! controls, NUL, emoji. Each must answer (accept or refuse), never panic; what it
//! accepts keeps the parser's own promises (ASCII identifiers, bounded lengths).

use proptest::prelude::*;
use storefront_shared::cart::CartAction;
use storefront_shared::checkout::{AddressInput, CheckoutAction, Email, IdempotencyKey};
use storefront_shared::listing::{ListingParams, SortOrder};
use storefront_shared::orders::PaymentProvider;
use storefront_shared::payments::card_digits;
use storefront_shared::payments::{parse_signature_header, valid_payment_method};
use storefront_shared::review::Step;
use storefront_shared::search::{query_terms, shards_for, terms};
use storefront_shared::text::replace_all;
use storefront_shared::url::local_location;
use storefront_shared::{CartId, Currency, Handle, Money, Quantity, Sku};

/// Any text, half of the time made of the characters that break byte-offset code.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just('é'),
                Just('\u{301}'),
                Just('\u{202E}'),
                Just('\u{200F}'),
                Just('\u{0}'),
                Just('日'),
                Just('😀'),
                Just('a'),
                Just('Z'),
                Just('7'),
                Just(' '),
                Just('-'),
                Just('.'),
                Just('@'),
                Just('%'),
                Just('/'),
                Just('\\'),
                Just(':'),
                Just(','),
                Just('='),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn splicing_text_agrees_with_std_replace(text in nasty_text(), from in nasty_text(), to in nasty_text()) {
        // A pattern taken from inside the text half of the time, so it is found.
        let chars: Vec<char> = text.chars().collect();
        let inner: String = chars.iter().skip(chars.len() / 3).take(2).collect();
        for pattern in [from.as_str(), inner.as_str()].into_iter().filter(|p| !p.is_empty()) {
            prop_assert_eq!(replace_all(&text, &[(pattern, to.as_str())]), text.replace(pattern, &to));
        }
    }

    #[test]
    fn identifiers_accept_only_their_own_alphabet(text in nasty_text()) {
        if let Ok(handle) = Handle::parse(&text) {
            prop_assert!(handle.as_str().is_ascii());
        }
        if let Ok(sku) = Sku::parse(&text) {
            prop_assert!(sku.as_str().is_ascii());
        }
        if let Ok(cart) = CartId::parse(&text) {
            prop_assert!(cart.as_str().is_ascii());
        }
        if let Ok(key) = IdempotencyKey::parse(&text) {
            prop_assert!(key.as_str().is_ascii() && key.as_str().len() <= 128);
        }
        if let Ok(quantity) = Quantity::parse(&text) {
            prop_assert!((1..=Quantity::MAX).contains(&quantity.get()));
        }
    }

    #[test]
    fn contact_and_payment_fields_answer_any_text(text in nasty_text()) {
        if let Ok(email) = Email::parse(&text) {
            prop_assert!(!email.normalized().chars().any(char::is_control));
        }
        if let Ok(digits) = card_digits(&text) {
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        }
        let _ = valid_payment_method(&text);
        let _ = parse_signature_header(&text);
        let _ = PaymentProvider::parse(&text);
    }

    #[test]
    fn names_of_steps_actions_and_sorts_answer_any_text(text in nasty_text()) {
        let _ = CheckoutAction::parse(&text);
        let _ = CartAction::parse(&text);
        let _ = Step::parse(&text);
        let _ = SortOrder::parse(&text);
        if let Ok(currency) = Currency::parse(&text) {
            prop_assert!(currency.code().len() == 3);
            let _ = Money::parse_decimal(&text, currency);
        }
        let _ = Money::parse_decimal(&text, Currency::USD);
        let _ = Money::parse_decimal(&text, Currency::parse("JPY").unwrap());
        let _ = Money::parse_decimal(&text, Currency::parse("KWD").unwrap());
    }

    #[test]
    fn search_queries_answer_any_text(text in nasty_text()) {
        let words = query_terms(&text);
        let _ = shards_for(&words);
        let _ = terms(&text);
    }

    #[test]
    fn listing_parameters_answer_any_text(name in nasty_text(), value in nasty_text()) {
        let pairs = vec![(name.clone(), value.clone()), ("sort".to_string(), value.clone()),
                         ("price.min".to_string(), value.clone()), (format!("filter.{name}"), value)];
        let _ = ListingParams::parse(&pairs, Currency::USD);
    }

    /// Every field of the address form, for every country with its own postal-code rule
    /// and one without: an answer (accepted or field errors), never a panic.
    #[test]
    fn any_address_text_is_answered_not_a_panic(
        name in nasty_text(), line1 in nasty_text(), city in nasty_text(),
        region in nasty_text(), postal_code in nasty_text(),
        country in prop_oneof![Just("US"), Just("CA"), Just("DE"), Just("FR"), Just("ES"), Just("IT"),
                               Just("NL"), Just("IE"), Just("GB"), Just("JP")],
    ) {
        let shippable: Vec<String> =
            ["US", "CA", "DE", "FR", "ES", "IT", "NL", "IE", "GB", "JP"].iter().map(|c| c.to_string()).collect();
        let input = AddressInput {
            name, line1, line2: String::new(), city, region, postal_code, country: country.to_string(),
        };
        if let Ok(address) = input.validate(&shippable) {
            prop_assert!(!address.postal_code.chars().any(char::is_control));
        }
    }

    #[test]
    fn redirect_targets_stay_on_the_shop(text in nasty_text()) {
        let location = local_location(&text);
        prop_assert!(location.starts_with('/'));
        prop_assert!(!matches!(location.chars().nth(1), Some('/' | '\\')));
    }
}
