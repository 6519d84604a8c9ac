//! The shop's interface strings: what its pages say around the catalog's own text
//! (buttons, labels, headings, notices). The pages write them in English; a catalog
//! translates them per language in `strings/{language}.toml`, each line the English text
//! and its translation. `{name}` marks a value put in when the page is rendered.

/// Every translatable interface string, as the pages write it in English.
pub const UI_STRINGS: &[&str] = &[
    "Full name",
    "Street address",
    "Apartment, suite (optional)",
    "City",
    "State, province or region",
    "Postal code",
    "Country",
    "Skip to content",
    "Country and language: ",
    "Main",
    "Search products",
    "Search",
    "Account",
    "Cart",
    "Footer",
    "From ",
    "Sale price ",
    "Regular price ",
    "Sold out",
    "In stock",
    "Add to cart",
    "Adding…",
    " (unavailable)",
    " (sold out)",
    "Added to your cart: {count} item(s) in total.",
    "Quantity",
    "Added to your cart",
    "{count} item(s) · subtotal {subtotal}",
    "View cart",
    "Continue shopping",
    "Search the shop",
    "Suggestions",
    "Email address",
    "We email you a link that signs you in, valid for {minutes} minutes. No password needed.",
    "Email me a sign-in link",
    "We sent a sign-in link to {to}. It works once, for {minutes} minutes.",
    "No email? Check your spam folder, or ask for another link below.",
    "Sign in to see your orders and keep your addresses for checkout.",
    "Sign in to {store}",
    "Sign in",
    "The link works once: it signs in the browser that presses this button.",
    "No orders with this email address yet.",
    "Order",
    "Placed",
    "State",
    "Total",
    "Remove",
    "No saved addresses. Addresses you save here or at checkout are offered at checkout.",
    "Your address book is full ({count} addresses): remove one to add another.",
    "Add an address",
    "Save address",
    "Your account",
    "Signed in as {email} · customer since {since}",
    "Orders",
    "Saved addresses",
    "Sign out",
    "Sign out on every device",
    "Delete your account",
    "Yes, delete my account",
    "Delete account",
    "Breadcrumb",
    "Home",
    "Your cart",
    "Review the items in your cart.",
    "Some items were added while you shopped in another country, in {was}. Your cart is now priced in {now}, the currency of the country you shop in here.",
    "Some items in your cart are no longer sold and were left out of the total:",
    "Your cart is empty.",
    "Subtotal (1 item)",
    "Subtotal ({count} items)",
    "Price changed from {was} to {now}",
    "Sold out: remove it to check out",
    "Only {count} left",
    "Quantity of {item}",
    "Update",
    "Discount ({code})",
    "Items in your cart",
    "Item",
    "Price",
    "Change",
    "Discount code",
    "Apply",
    "Shipping and taxes are calculated at checkout.",
    "Check out · {total}",
    "Empty cart",
    "Add these items to your cart?",
    "Not in the shop any more: {items}.",
    "Add to my cart",
    "No thanks",
    "Contact",
    "Address",
    "Shipping",
    "Review and pay",
    "Checkout",
    "Pay for your order.",
    "Checkout steps",
    "We send your order confirmation here.",
    "Continue to address",
    "Ship here",
    "Your saved addresses",
    "Or type another address below.",
    "Save this address to my account",
    "Shipping address",
    "Continue to shipping",
    " · free from {amount}",
    "Shipping method",
    "Continue to review",
    "Card number",
    "Card",
    "Paying by card needs JavaScript: Stripe's secure card form runs in the page.",
    "Card payments are not set up in this shop yet, so orders cannot be paid for now.",
    "Pay {total}",
    "Review",
    "Ship to",
    "Method",
    "Some items are no longer available in the quantity you chose. ",
    "Update your cart",
    " to continue.",
    "Payment",
    "Order summary",
    "Subtotal",
    "Shop {collection} at {shop}",
    "Subcategories",
    "No products match these filters.",
    "There are no products in this collection yet.",
    "Clear all filters",
    "Products",
    "Sort by",
    "Sort",
    "Filters",
    "Filter",
    "Price ({currency})",
    "From",
    "To",
    "In stock only",
    "Apply filters",
    "Clear all",
    "Page {number}",
    "Previous",
    "Next",
    "Pages",
    "Go to the home page",
    "Shop by category",
    "Featured products",
    "Your payment did not go through.",
    "Your bank asks you to confirm this payment.",
    "Confirm with your bank",
    "Confirming needs JavaScript: your bank's check runs in the page.",
    "Pay {total} with another card",
    "Pay with another card",
    "Order {number}",
    "A confirmation is on its way to {email}.",
    "Shipping to",
    "Summary",
    "Discount",
    "Tax",
    "Find your order",
    "Order number",
    "Find order",
    "You may also like",
    "Search: {query}",
    "Search results at {shop}",
    "Type what you are looking for: a product, a colour, a size or a SKU.",
    "No products match “{query}”.",
    "Try fewer words, a different spelling, or browse a collection instead.",
    "Page {page} of {pages}",
    "Results",
];

/// The placeholders (`{total}`) of a string, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open.saturating_add(1)..).unwrap_or_default();
        let Some(close) = after.find('}') else { break };
        let name = after.get(..close).unwrap_or_default();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            found.push(name);
        }
        rest = after.get(close.saturating_add(1)..).unwrap_or_default();
    }
    found
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let pairs: Vec<(String, &str)> =
        values.iter().map(|(name, value)| (format!("{{{name}}}"), *value)).collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(from, to)| (from.as_str(), *to)).collect();
    crate::text::replace_all(template, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_named_and_filled() {
        assert_eq!(placeholders("Pay {total} with {card}"), ["total", "card"]);
        assert_eq!(placeholders("No {Braces} {} or {unclosed"), Vec::<&str>::new());
        assert_eq!(fill("Pay {total}", &[("total", "12,99 $")]), "Pay 12,99 $");
        assert_eq!(fill("{a}{b}{a}", &[("a", "{b}"), ("b", "x")]), "{b}x{b}", "values are not filled again");
    }

    #[test]
    fn the_list_has_no_duplicates() {
        let mut seen = std::collections::BTreeSet::new();
        for text in UI_STRINGS {
            assert!(seen.insert(*text), "{text} is listed twice");
        }
    }
}
