//! The shop's interface strings: what its pages say around the catalog's own text
//! (buttons, labels, headings, notices). The pages write them in English; a catalog
//! translates them per language in `strings/{language}.toml`, each line the English text
//! and its translation. `{name}` marks a value put in when the page is rendered.

use serde::{Deserialize, Serialize};

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
    // Messages the server writes (`Text::new`): form errors, refusals, error pages.
    "Address too long",
    "Another payment for this cart is in progress. Wait a moment, then reload.",
    "Check your email",
    "Choose one of the rates offered: {rates}.",
    "Choose one of the shipping methods offered.",
    "Choose one of the shipping methods.",
    "Each link signs in once. If that was not you, nobody else can use it now. Ask for a new link below.",
    "Enter a card number (use a test card, such as {example}).",
    "Enter a postal code for {country}: {example}.",
    "Enter an email address like name@example.com.",
    "Enter the city.",
    "Enter the street address.",
    "Enter the two-letter province code, like {example}.",
    "Enter the two-letter state code, like {example}.",
    "Enter your name.",
    "How this shop takes payments changed: reload the page and pay again.",
    "It may be mistyped or cut short. Ask for a new link below.",
    "Links work for {minutes} minutes. Ask for a new link below.",
    "Method not allowed",
    "No card came with the payment: the card form needs JavaScript. Go back, enter your card and pay again.",
    "No product has the SKU {sku}.",
    "Not allowed",
    "Not found",
    "Only {count} of that item are left in that option.",
    "Only {count} of {title} are left in that option.",
    "Order {number} is placed.",
    "Page not found",
    "Payment declined",
    "Please try again in a moment",
    "Request too large",
    "Send the request body as {format}.",
    "Set a shipping address first.",
    "Sign in with a link sent to your email: your orders and saved addresses.",
    "Some details need fixing",
    "Some items are no longer sold; remove them from your cart first.",
    "Something went wrong on our side",
    "Sorry — some items sold out before you paid (left: {items}). Nothing was charged; change your cart and try again.",
    "That code needs a subtotal of at least {amount}.",
    "That could not be done right now",
    "That discount code does not exist.",
    "That discount code has expired.",
    "That form could not be accepted",
    "That item is sold out in that option, so it could not be added.",
    "That product is no longer in the shop, so it could not be added.",
    "That request didn't look right",
    "That web address is longer than we accept.",
    "The checkout needs a shipping method first.",
    "The checkout needs your email address first.",
    "The checkout needs your shipping address first.",
    "The page number must be a whole number from 1 up.",
    "The payment service did not answer. Nothing was charged; please try again.",
    "The request was larger than we accept.",
    "The shop no longer sells in this country and language; choose another from the list at the foot of the page.",
    "The total changed to {total} since you reviewed your order; please check it and pay again.",
    "These items could not be added: {items}. The others are in your cart.",
    "This address only answers {methods} requests.",
    "This form was sent from another site, so it was not accepted.",
    "This payment did not go through.",
    "This payment form was already used for a different order. Reload the page and try again.",
    "This shop does not ship anywhere yet.",
    "This shop takes cards through Stripe: pay with the card form, which creates the PaymentMethod (pm_…) the payment needs.",
    "This sign-in link does not work",
    "This sign-in link has expired",
    "This sign-in link was already used",
    "Tick “Yes, delete my account” to delete it.",
    "Too many requests",
    "Unsupported format",
    "Use at most {count} characters.",
    "We could not confirm your payment yet. Trying again is safe and will not charge you twice.",
    "We could not find an order with that email address and number.",
    "We couldn't do that",
    "We couldn't find the page you were looking for. It may have moved or sold out for good.",
    "We ship to {countries}. Choose one of these countries.",
    "We're sorry: the shop had a problem answering. Please try again in a moment.",
    "You are sending changes faster than we accept. Wait {seconds} seconds and try again.",
    "You are signed out on every device.",
    "You are signed out.",
    "Your account is deleted. Your orders stay with the shop, no longer linked to an account.",
    "Your address book is full: remove an address to add another.",
    "Your card was declined. No money was taken; try another card.",
    "Your cart already holds {count} of {sku}; a cart line can hold at most {max}.",
    "Your cart has no {sku} to change or remove.",
    "Your cart is full: it can hold at most {max} different items.",
    "Your order is already being placed. Wait a moment, then reload.",
    "Your order is being placed right now; your cart can change again once it is done.",
    "Your session ended. Sign in again to see your account.",
    "Your session ended. Sign in again.",
    "Your session expired or this form is out of date. Go back, reload the page, and try again.",
    "{count} sign-in links went to this address in the last {minutes} minutes. Use the newest one, or ask again later.",
    "{title} has no variant {sku}, so it could not be added.",
    "{title} is sold out in that option, so it could not be added.",
    // Emails (`shared::mail`).
    "Discount: -{amount}",
    "See your order: {url}",
    "Shipping to:",
    "Shipping: {amount}",
    "Sign in: {link}",
    "Someone (we hope you) asked to sign in to {store} with this address.",
    "Subtotal: {amount}",
    "Tax: {amount}",
    "Thank you for your order, {name}.",
    "The link works once, for {minutes} minutes. If you did not ask for it, ignore this email: nobody can sign in without it.",
    "Total: {amount}",
    "Your {store} order {number}",
    "Your {store} sign-in link",
];

/// A message the server writes for a person — a form error, a refusal, an error page's
/// heading — kept as its English template and the values of its placeholders, so each
/// page can write it in its own language. Made by [`Text::new`] from a literal template
/// (one of [`UI_STRINGS`]: a test lists every such call), or from any other text, which
/// is shown as it is. Displayed, it is the English text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TextForm")]
pub struct Text {
    template: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<(String, String)>,
}

/// A [`Text`] as it may arrive: whole, or a plain string (from a Durable Object still
/// running the code before messages were `Text`s).
#[derive(Deserialize)]
#[serde(untagged)]
enum TextForm {
    Whole {
        template: String,
        #[serde(default)]
        values: Vec<(String, String)>,
    },
    Plain(String),
}

impl From<TextForm> for Text {
    fn from(form: TextForm) -> Text {
        match form {
            TextForm::Whole { template, values } => Text { template, values },
            TextForm::Plain(text) => Text { template: text, values: Vec::new() },
        }
    }
}

impl Text {
    /// A translatable message: `template` is English, with `{name}` placeholders.
    pub fn new(template: &'static str) -> Text {
        Text { template: template.to_string(), values: Vec::new() }
    }

    /// The message with `{name}` standing for `value`.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Text {
        self.values.push((name.to_string(), value.into()));
        self
    }

    /// The message written with `translate`'s text for its template, or the English one
    /// when it has none.
    pub fn written<'a>(&'a self, translate: impl FnOnce(&'a str) -> Option<&'a str>) -> String {
        let template = translate(&self.template).unwrap_or(&self.template);
        let values: Vec<(&str, &str)> =
            self.values.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        fill(template, &values)
    }

    /// The message in English.
    pub fn english(&self) -> String {
        self.written(|_| None)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text { template: text, values: Vec::new() }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text { template: text.to_string(), values: Vec::new() }
    }
}

/// Writes a [`Text`] as its English string (JSON answers keep their `message` strings).
pub fn english<S: serde::Serializer>(text: &Text, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(text)
}

/// [`english`] of an optional text (`null` when there is none).
pub fn english_if_any<S: serde::Serializer>(text: &Option<Text>, serializer: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.collect_str(text),
        None => serializer.serialize_none(),
    }
}

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
    fn a_text_is_written_in_english_or_translated() {
        let text = Text::new("We ship to {countries}.").with("countries", "CA, US");
        assert_eq!(text.to_string(), "We ship to CA, US.");
        let french =
            text.written(|t| (t == "We ship to {countries}.").then_some("Nous livrons : {countries}."));
        assert_eq!(french, "Nous livrons : CA, US.");
        let plain = Text::from("{not} a template".to_string());
        assert_eq!(plain.written(|_| Some("ignored")), "ignored", "a translation applies to any text");
        assert_eq!(plain.english(), "{not} a template", "no values, nothing filled");
        let round: Text = serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
        assert_eq!(round, text);
        let plain: Text = serde_json::from_str(r#""Sold out.""#).unwrap();
        assert_eq!(plain.english(), "Sold out.");
    }

    #[test]
    fn the_list_has_no_duplicates() {
        let mut seen = std::collections::BTreeSet::new();
        for text in UI_STRINGS {
            assert!(seen.insert(*text), "{text} is listed twice");
        }
    }
}
