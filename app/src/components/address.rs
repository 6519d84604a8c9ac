//! A postal address as every page shows it: the order confirmation, the merchant's
//! order page, the customer's saved addresses.

use leptos::prelude::*;
use shared::checkout::Address;

#[component]
pub fn PostalAddress(address: Address) -> impl IntoView {
    let a = address;
    let line2 = (!a.line2.is_empty()).then(|| view! { {a.line2.clone()}<br/> });
    view! {
        <address>
            {a.name.clone()}<br/>{a.line1.clone()}<br/>
            {line2}
            {format!("{} {} {}", a.city, a.region, a.postal_code)}<br/>{a.country.clone()}
        </address>
    }
}
