//! Postal addresses as every page shows and takes them: [`PostalAddress`] on the order
//! confirmation, the merchant's order page and the customer's address book; the same
//! fields ([`address_fields`]) in the checkout and the account page's form.

use crate::tr;
use leptos::prelude::*;
use shared::checkout::{Address, AddressInput, FieldError};

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

/// A country's name, by its ISO code (the code itself for one not listed).
pub fn country_name(code: &str) -> &str {
    match code {
        "US" => "United States",
        "CA" => "Canada",
        "DE" => "Germany",
        "FR" => "France",
        "NL" => "Netherlands",
        "IE" => "Ireland",
        "ES" => "Spain",
        "IT" => "Italy",
        "GB" => "United Kingdom",
        other => other,
    }
}

/// A labelled text field with its error, if any.
fn field(
    id: &'static str,
    label: String,
    value: String,
    errors: &[FieldError],
    autocomplete: &'static str,
    required: bool,
) -> impl IntoView {
    let error = errors.iter().find(|e| e.field == id).map(|e| crate::say(&e.message));
    let error_id = format!("{id}-error");
    let described = error.as_ref().map(|_| error_id.clone());
    let invalid = error.as_ref().map(|_| "true");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id value=value autocomplete=autocomplete required=required maxlength="120"
                aria-invalid=invalid aria-describedby=described/>
            {error.map(|message| view! { <p class="field-error" id=error_id>{message}</p> })}
        </div>
    }
}

/// The fields of an address form, filled with `a` and showing `errors`; `countries`
/// are the ISO codes the shop ships to.
pub fn address_fields(a: &AddressInput, errors: &[FieldError], countries: &[String]) -> impl IntoView {
    let e = errors;
    let country_error = e.iter().find(|x| x.field == "country").map(|x| crate::say(&x.message));
    let options = countries
        .iter()
        .map(|c| view! { <option value=c.clone() selected=*c == a.country>{country_name(c).to_string()}</option> })
        .collect_view();
    view! {
        {field("name", tr("Full name"), a.name.clone(), e, "name", true)}
        {field("line1", tr("Street address"), a.line1.clone(), e, "address-line1", true)}
        {field("line2", tr("Apartment, suite (optional)"), a.line2.clone(), e, "address-line2", false)}
        {field("city", tr("City"), a.city.clone(), e, "address-level2", true)}
        {field("region", tr("State, province or region"), a.region.clone(), e, "address-level1", false)}
        {field("postal_code", tr("Postal code"), a.postal_code.clone(), e, "postal-code", true)}
        <div class="field">
            <label for="country">{tr("Country")}</label>
            <select id="country" name="country" autocomplete="country" required>{options}</select>
            {country_error.map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}
