//! The cart page: lines, quantities and totals, all priced on the server.

use crate::components::layout::{PageMeta, Shell};
use leptos::prelude::*;
use shared::{format_money, PricedCart, Site};

#[component]
pub fn CartPage(site: Site, cart: PricedCart) -> impl IntoView {
    let meta = PageMeta {
        title: "Your cart".into(),
        description: "Review the items in your cart.".into(),
        canonical: Some("/cart".into()),
        noindex: true,
        ..Default::default()
    };
    let unavailable = (!cart.unavailable.is_empty()).then(|| {
        view! {
            <div class="notice notice--warning" role="status">
                <p>"Some items in your cart are no longer available and were left out of the total:"</p>
                <ul>
                    {cart.unavailable.iter().map(|l| view! { <li>{l.sku.to_string()}</li> }).collect_view()}
                </ul>
            </div>
        }
    });
    let body = if cart.lines.is_empty() {
        view! {
            <div class="empty-state">
                <p>"Your cart is empty."</p>
                <p><a class="button" href="/">"Continue shopping"</a></p>
            </div>
        }
        .into_any()
    } else {
        let item_word = if cart.item_count == 1 { "item" } else { "items" };
        let rows = cart
            .lines
            .into_iter()
            .map(|line| {
                let href = format!("/products/{}", line.product);
                let image = line.image.map(|img| {
                    view! { <img src=img.src alt="" width="64" height="64" loading="lazy" decoding="async"/> }
                });
                view! {
                    <tr class="cart-line" data-sku=line.sku.to_string()>
                        <td class="cart-line__item">
                            {image}
                            <div>
                                <a href=href>{line.title}</a>
                                {line.variant_title.map(|t| view! { <p class="cart-line__variant">{t}</p> })}
                            </div>
                        </td>
                        <td class="cart-line__price">{format_money(line.unit_price)}</td>
                        <td class="cart-line__quantity">{line.quantity.get()}</td>
                        <td class="cart-line__total">{format_money(line.line_total)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="cart-table">
                <caption class="visually-hidden">"Items in your cart"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Item"</th>
                        <th scope="col">"Price"</th>
                        <th scope="col">"Quantity"</th>
                        <th scope="col">"Total"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="cart-summary">
                <p>
                    <span>"Subtotal ("{cart.item_count}" "{item_word}")"</span>
                    <strong class="cart-subtotal">{format_money(cart.subtotal)}</strong>
                </p>
                <p class="cart-summary__note">"Shipping and taxes are calculated at checkout."</p>
            </div>
        }
        .into_any()
    };
    view! {
        <Shell site meta>
            <h1>"Your cart"</h1>
            {unavailable}
            {body}
        </Shell>
    }
}
