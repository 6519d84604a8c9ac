//! A price, with the struck-through compare-at price when on sale.

use super::locale::money;
use crate::tr;
use leptos::prelude::*;
use shared::Money;

#[component]
pub fn Price(price: Money, compare_at: Option<Money>, #[prop(optional)] from: bool) -> impl IntoView {
    let now = money(price);
    let prefix = if from { tr("From ") } else { String::new() };
    match compare_at {
        Some(was) => view! {
            <span class="price price--sale">
                <span class="visually-hidden">{tr("Sale price ")}</span>
                {prefix}
                {now}
                " "
                <s class="price__was">
                    <span class="visually-hidden">{tr("Regular price ")}</span>
                    {money(was)}
                </s>
            </span>
        }
        .into_any(),
        None => view! { <span class="price">{prefix}{now}</span> }.into_any(),
    }
}
