//! The cart page: lines with their quantity and remove forms, price-change and stock
//! notes, a discount code, and the subtotal — every amount computed on the server.

use crate::components::layout::{CsrfField, PageMeta, Shell};
use crate::components::locale::money;
use crate::{say, tr};
use leptos::prelude::*;
use shared::strings::Text;
use shared::{Money, PricedCart, Quantity, Site};

/// What the cart page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CartView {
    pub cart: PricedCart,
    pub discount_code: Option<String>,
    /// Taken off by the discount code right now.
    pub discount: Money,
    /// Why the code does not apply, if it does not.
    pub discount_problem: Option<Text>,
    /// Subtotal after the discount.
    pub goods_total: Money,
    /// Why the last change was refused.
    pub notice: Option<Text>,
}

/// The form that removes the line of `sku` from the cart.
#[component]
fn RemoveLine(sku: String) -> impl IntoView {
    view! {
        <form class="inline-form" method="post" action="/cart/remove">
            <CsrfField/>
            <input type="hidden" name="sku" value=sku/>
            <button class="link-button" type="submit">{tr("Remove")}</button>
        </form>
    }
}

#[component]
pub fn CartPage(site: Site, view: CartView) -> impl IntoView {
    let meta = PageMeta {
        title: tr("Your cart"),
        description: tr("Review the items in your cart."),
        canonical: Some("/cart".into()),
        noindex: true,
        ..Default::default()
    };
    let CartView { cart, discount_code, discount, discount_problem, goods_total, notice } = view;
    let notice =
        notice.map(|n| view! { <div class="notice notice--error" role="alert"><p>{say(&n)}</p></div> });
    let repriced = cart.added_in.filter(|_| !cart.lines.is_empty()).map(|was| {
        let now = cart.subtotal.currency().code().to_string();
        view! {
            <div class="notice notice--warning cart-repriced" role="status">
                <p>
                    {crate::trf(
                        "Some items were added while you shopped in another country, in {was}. Your cart is now priced in {now}, the currency of the country you shop in here.",
                        &[("was", was.code()), ("now", &now)],
                    )}
                </p>
            </div>
        }
    });
    let unavailable = (!cart.unavailable.is_empty()).then(|| {
        view! {
            <div class="notice notice--warning" role="status">
                <p>{tr("Some items in your cart are no longer sold and were left out of the total:")}</p>
                <ul>
                    {cart
                        .unavailable
                        .iter()
                        .map(|l| {
                            let sku = l.sku.to_string();
                            view! {
                                <li>
                                    {sku.clone()}
                                    <RemoveLine sku/>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    });
    let body = if cart.lines.is_empty() {
        view! {
            <div class="empty-state">
                <p>{tr("Your cart is empty.")}</p>
                <p><a class="button" href="/">{tr("Continue shopping")}</a></p>
            </div>
        }
        .into_any()
    } else {
        let subtotal_label = if cart.item_count == 1 {
            tr("Subtotal (1 item)")
        } else {
            crate::trf("Subtotal ({count} items)", &[("count", &cart.item_count.to_string())])
        };
        let rows = cart
            .lines
            .into_iter()
            .map(|line| {
                let href = format!("/products/{}", line.product);
                let sku = line.sku.to_string();
                let image = line.image.map(|img| {
                    view! { <img src=img.src alt="" width="64" height="64" loading="lazy" decoding="async"/> }
                });
                let price_note = line.price_was.map(|was| {
                    view! {
                        <p class="cart-line__note">
                            {crate::trf("Price changed from {was} to {now}", &[("was", &money(was)), ("now", &money(line.unit_price))])}
                        </p>
                    }
                });
                let stock_note = line.short_by.map(|left| {
                    let text = if left == 0 { tr("Sold out: remove it to check out") } else { crate::trf("Only {count} left", &[("count", &left.to_string())]) };
                    view! { <p class="cart-line__note cart-line__note--stock">{text}</p> }
                });
                let qty_id = format!("qty-{sku}");
                let (sku_row, sku_update, sku_remove) = (sku.clone(), sku.clone(), sku);
                let qty_label = crate::trf("Quantity of {item}", &[("item", &line.title)]);
                view! {
                    <tr class="cart-line" data-sku=sku_row>
                        <td class="cart-line__item">
                            {image}
                            <div>
                                <a href=href>{line.title.clone()}</a>
                                {line.variant_title.map(|t| view! { <p class="cart-line__variant">{t}</p> })}
                                {price_note}
                                {stock_note}
                            </div>
                        </td>
                        <td class="cart-line__price">{money(line.unit_price)}</td>
                        <td class="cart-line__quantity">{line.quantity.get()}</td>
                        <td class="cart-line__change">
                            <form class="inline-form" method="post" action="/cart/update">
<CsrfField/>
                                <input type="hidden" name="sku" value=sku_update/>
                                <label class="visually-hidden" for=qty_id.clone()>{qty_label}</label>
                                <input class="qty-input" id=qty_id type="number" name="quantity" value=line.quantity.get() min="0" max=Quantity::MAX required/>
                                <button class="link-button" type="submit">{tr("Update")}</button>
                            </form>
                            <RemoveLine sku=sku_remove/>
                        </td>
                        <td class="cart-line__total">{money(line.line_total)}</td>
                    </tr>
                }
            })
            .collect_view();
        let discount_row = (discount.minor() > 0).then(|| {
            view! {
                <p>
                    <span>{crate::trf("Discount ({code})", &[("code", &discount_code.clone().unwrap_or_default())])}</span>
                    <strong class="cart-discount">{format!("-{}", money(discount))}</strong>
                </p>
            }
        });
        let problem = discount_problem.map(|p| view! { <p class="field-error" role="alert">{say(&p)}</p> });
        view! {
            <table class="cart-table">
                <caption class="visually-hidden">{tr("Items in your cart")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr("Item")}</th>
                        <th scope="col">{tr("Price")}</th>
                        <th scope="col">{tr("Quantity")}</th>
                        <th scope="col"><span class="visually-hidden">{tr("Change")}</span></th>
                        <th scope="col">{tr("Total")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="cart-footer">
                <form class="discount-form" method="post" action="/cart/discount">
<CsrfField/>
                    <label for="discount-code">{tr("Discount code")}</label>
                    <div class="discount-form__row">
                        <input id="discount-code" name="code" maxlength="32" autocomplete="off" value=discount_code.clone().unwrap_or_default()/>
                        <button class="button" type="submit">{tr("Apply")}</button>
                    </div>
                    {problem}
                </form>
                <div class="cart-summary">
                    <p>
                        <span>{subtotal_label}</span>
                        <strong class="cart-subtotal">{money(cart.subtotal)}</strong>
                    </p>
                    {discount_row}
                    <p class="cart-summary__note">{tr("Shipping and taxes are calculated at checkout.")}</p>
                    <p><a class="button button--primary button--wide" href="/checkout">{crate::trf("Check out · {total}", &[("total", &money(goods_total))])}</a></p>
                    <form method="post" action="/cart/clear">
<CsrfField/>
                        <button class="link-button" type="submit">{tr("Empty cart")}</button>
                    </form>
                </div>
            </div>
        }
        .into_any()
    };
    view! {
        <Shell site meta>
            <h1>{tr("Your cart")}</h1>
            {notice}
            {repriced}
            {unavailable}
            {body}
        </Shell>
    }
}
