//! A shared cart link's confirmation: what it would add, and a button to add it.

use crate::components::layout::{CsrfField, PageMeta, Shell};
use crate::tr;
use leptos::prelude::*;
use shared::Site;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLinkItem {
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: u32,
    pub price: String,
}

#[component]
pub fn CartLinkPage(
    site: Site,
    items: Vec<CartLinkItem>,
    unknown: Vec<String>,
    spec: String,
) -> impl IntoView {
    let meta = PageMeta {
        title: tr("Add these items to your cart?"),
        description: "A shared cart.".into(),
        noindex: true,
        ..Default::default()
    };
    let rows = items
        .iter()
        .map(|i| {
            let name = match &i.variant_title {
                Some(v) => format!("{} ({v})", i.title),
                None => i.title.clone(),
            };
            view! { <li><span>{format!("{} × {name}", i.quantity)}</span><span>{i.price.clone()}</span></li> }
        })
        .collect_view();
    let missing = (!unknown.is_empty()).then(|| {
        view! {
            <p class="notice notice--warning">{crate::trf("Not in the shop any more: {items}.", &[("items", &unknown.join(", "))])}</p>
        }
    });
    let can_add = !items.is_empty();
    view! {
        <Shell site meta>
            <h1>{tr("Add these items to your cart?")}</h1>
            {missing}
            <ul class="order-summary__lines cart-link-items">{rows}</ul>
            <form class="checkout-form" method="post" action="/cart/link">
                <CsrfField/>
                <input type="hidden" name="items" value=spec/>
                <p>
                    <button class="button button--primary" type="submit" disabled=!can_add>{tr("Add to my cart")}</button>
                    " "
                    <a class="button" href="/">{tr("No thanks")}</a>
                </p>
            </form>
        </Shell>
    }
}
