//! Islands: the few interactive parts of the shop. Each is server-rendered like any
//! component, so it works without JavaScript (links and plain forms), and is hydrated
//! in the browser by the `islands` bundle, which adds: switching variants without a
//! reload (the choice stays in the URL), adding to the cart without a reload with a
//! live cart count and a cart drawer, and search suggestions as you type.
//! Pages without an island ship no JavaScript or Wasm at all.

use crate::components::price::Price;
use crate::tr;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::api::{AddedToCart, Suggestion};
use shared::variants::{option_groups, resolve_among};
use shared::{Image, ProductOption, Variant};

/// What the buy box needs: the product's options and variants, and the choice shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuyBoxData {
    pub handle: String,
    /// The CSRF token the add-to-cart form posts.
    pub csrf: String,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub selected: String,
    /// The product's images when some variant has its own picture (the box swaps the
    /// gallery's lead image as the choice changes); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gallery: Vec<Image>,
    /// The page's edition: its language, path base and interface strings, for what the
    /// box writes once hydrated (prices, messages, the cart drawer).
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub base: String,
    #[serde(default)]
    pub strings: std::collections::BTreeMap<String, String>,
}

/// The interface strings the buy box writes in the browser (see [`BuyBoxData`]).
pub const BUY_BOX_STRINGS: [&str; 15] = [
    " (unavailable)",
    " (sold out)",
    "Adding…",
    "Added to your cart: {count} item(s) in total.",
    "{count} item(s) · subtotal {subtotal}",
    "In stock",
    "Sold out",
    "Add to cart",
    "Added to your cart",
    "View cart",
    "Continue shopping",
    "Cart",
    "From ",
    "Sale price ",
    "Regular price ",
];

/// Price, availability, the option picker and the add-to-cart form of a product page.
#[island]
pub fn BuyBox(data: BuyBoxData) -> impl IntoView {
    let BuyBoxData { handle, csrf, options, variants, selected, gallery, language, base, strings } = data;
    // In the browser there is no page context: the box brings its edition's.
    if use_context::<crate::RenderContext>().is_none() {
        provide_context(crate::RenderContext {
            language,
            base: base.clone(),
            strings: std::sync::Arc::new(strings),
            ..Default::default()
        });
    }
    let (in_stock, sold_out, add_label) = (tr("In stock"), tr("Sold out"), tr("Add to cart"));
    let (sold_out_too, adding) = (sold_out.clone(), tr("Adding…"));
    let cart_href = format!("{base}/cart");
    let csrf_for_submit = csrf.clone();
    let variants = StoredValue::new(variants);
    let options = StoredValue::new(options);
    let (selected_sku, set_selected_sku) = signal(selected);
    let current = Memo::new(move |_| {
        let sku = selected_sku.get();
        let wanted = shared::Sku::parse(&sku).ok();
        // The same choice the server made: requested, else first in stock, else first.
        variants.with_value(|vs| resolve_among(vs, wanted.as_ref()).cloned())
    });
    let available = move || current.get().is_some_and(|v| v.stock > 0);
    if !gallery.is_empty() {
        // Runs in the browser only: the server rendered the choice's picture already.
        Effect::new(move |_| {
            if let Some(variant) = current.get() {
                let shown = variant.image_position(gallery.len());
                if let Some(image) = gallery.get(shown) {
                    client::show_image(shown, image, gallery.len());
                }
            }
        });
    }
    let (status, set_status) = signal(String::new());
    let (drawer, set_drawer) = signal(None::<AddedToCart>);
    let (busy, set_busy) = signal(false);
    let quantity_input = NodeRef::<leptos::html::Input>::new();

    let price = move || current.get().map(|v| view! { <Price price=v.price compare_at=v.sale_from()/> });
    let groups = move || {
        let Some(chosen) = current.get() else {
            return Vec::new();
        };
        options.with_value(|opts| variants.with_value(|vs| option_groups(opts, vs, &chosen)))
    };
    let picker = move || {
        groups()
            .into_iter()
            .map(|group| {
                let choices = group
                    .choices
                    .into_iter()
                    .map(|choice| {
                        let label = if !choice.exists {
                            tr(" (unavailable)")
                        } else if !choice.available {
                            tr(" (sold out)")
                        } else {
                            String::new()
                        };
                        let class = if choice.available { "choice" } else { "choice choice--unavailable" };
                        match choice.target {
                            Some(target) => {
                                let href = format!("?variant={target}");
                                let current = choice.selected.then_some("true");
                                view! {
                                    <li>
                                        <a
                                            class=class
                                            href=href
                                            aria-current=current
                                            rel="nofollow"
                                            on:click=move |ev| {
                                                ev.prevent_default();
                                                show_variant(&target);
                                                set_selected_sku.set(target.to_string());
                                            }
                                        >
                                            {choice.value}
                                            <span class="visually-hidden">{label}</span>
                                        </a>
                                    </li>
                                }
                                .into_any()
                            }
                            None => view! {
                                <li>
                                    <span class="choice choice--unavailable">
                                        {choice.value}
                                        <span class="visually-hidden">{label}</span>
                                    </span>
                                </li>
                            }
                            .into_any(),
                        }
                    })
                    .collect_view();
                view! {
                    <fieldset class="picker">
                        <legend>{group.name}</legend>
                        <ul class="picker__choices">{choices}</ul>
                    </fieldset>
                }
            })
            .collect_view()
    };
    let handle_for_submit = handle.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(variant) = current.get_untracked() else {
            return;
        };
        let quantity = quantity_input.get_untracked().map(|i| i.value()).unwrap_or_else(|| "1".into());
        set_busy.set(true);
        set_status.set(adding.clone());
        let product = handle_for_submit.clone();
        let token = csrf_for_submit.clone();
        leptos::task::spawn_local(async move {
            match client::add_to_cart(&product, variant.sku.as_str(), &quantity, &token).await {
                Ok(added) => {
                    let count = added.item_count.to_string();
                    set_status.set(crate::trf(
                        "Added to your cart: {count} item(s) in total.",
                        &[("count", &count)],
                    ));
                    client::show_cart_count(added.item_count);
                    set_drawer.set(Some(added));
                }
                Err(message) => set_status.set(message),
            }
            set_busy.set(false);
        });
    };
    view! {
        <div class="buy-box">
            <p class="product__price">{price}</p>
            <p class=move || if available() { "availability availability--in" } else { "availability availability--out" }>
                {move || if available() { in_stock.clone() } else { sold_out.clone() }}
            </p>
            {picker}
            <form class="add-to-cart" method="post" action="/cart/add" on:submit=on_submit>
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="product" value=handle/>
                <input type="hidden" name="variant" prop:value=move || selected_sku.get() value=selected_sku.get_untracked()/>
                <label class="field">
                    <span>{tr("Quantity")}</span>
                    <input node_ref=quantity_input type="number" name="quantity" value="1" min="1" max="99" required/>
                </label>
                <button class="button button--primary" type="submit" disabled=move || !available() || busy.get()>
                    {move || if available() { add_label.clone() } else { sold_out_too.clone() }}
                </button>
                <p class="form-status" role="status" aria-live="polite">{move || status.get()}</p>
            </form>
            {move || drawer.get().map(|added| view! {
                <aside class="cart-drawer" aria-label=tr("Cart")>
                    <p class="cart-drawer__title">{tr("Added to your cart")}</p>
                    <p>{added.line}</p>
                    <p class="cart-drawer__total">
                        {crate::trf(
                            "{count} item(s) · subtotal {subtotal}",
                            &[("count", &added.item_count.to_string()), ("subtotal", &added.subtotal)],
                        )}
                    </p>
                    <p class="cart-drawer__actions">
                        <a class="button button--primary" href=cart_href.clone()>{tr("View cart")}</a>
                        <button class="button" type="button" on:click=move |_| set_drawer.set(None)>
                            {tr("Continue shopping")}
                        </button>
                    </p>
                </aside>
            })}
        </div>
    }
}

/// The search box of the search page, suggesting products as you type.
#[island]
pub fn PredictiveSearch(query: String) -> impl IntoView {
    let (suggestions, set_suggestions) = signal(Vec::<Suggestion>::new());
    let (latest, set_latest) = signal(0_u32);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let ticket = latest.get_untracked() + 1;
        set_latest.set(ticket);
        if text.trim().chars().count() < 2 {
            set_suggestions.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let found = client::suggest(&text).await;
            // Only the answer to the latest keystroke is shown.
            if latest.get_untracked() == ticket {
                set_suggestions.set(found);
            }
        });
    };
    let open = move || !suggestions.get().is_empty();
    view! {
        <form class="search-form" method="get" action="/search" role="search">
            <label for="search-q">{tr("Search the shop")}</label>
            <div class="search-form__row">
                <div class="combobox">
                    <input
                        id="search-q"
                        type="text"
                        enterkeyhint="search"
                        name="q"
                        value=query
                        maxlength="100"
                        autocomplete="off"
                        role="combobox"
                        aria-autocomplete="list"
                        aria-controls="search-suggestions"
                        aria-expanded=move || if open() { "true" } else { "false" }
                        on:input=on_input
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Escape" {
                                set_suggestions.set(Vec::new());
                            }
                        }
                    />
                    <ul id="search-suggestions" class="suggestions" role="listbox" aria-label=tr("Suggestions") hidden=move || !open()>
                        {move || suggestions.get().into_iter().map(|s| view! {
                            <li role="option" aria-selected="false">
                                <a href=s.href>
                                    <span>{s.title}</span>
                                    <span class="suggestions__price">{s.price}</span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
                <button class="button button--primary" type="submit">{tr("Search")}</button>
            </div>
        </form>
    }
}

/// Keeps `?variant=` in the address bar in step with the picker.
fn show_variant(sku: &shared::Sku) {
    client::replace_query(&format!("?variant={sku}"));
}

/// Browser calls; on the server (which never runs event handlers) they do nothing.
#[cfg(feature = "hydrate")]
mod client {
    use shared::api::{AddedToCart, Suggestion};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::wasm_bindgen::JsCast;

    fn window() -> Option<web_sys::Window> {
        web_sys::window()
    }

    pub fn replace_query(query: &str) {
        if let Some(history) = window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&web_sys::wasm_bindgen::JsValue::NULL, "", Some(query));
        }
    }

    /// Leads the gallery with image `shown` (of `count`) and hides its thumbnail.
    pub fn show_image(shown: usize, image: &shared::Image, count: usize) {
        let Some(document) = window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(Some(main)) = document.query_selector(".gallery__main") {
            if main.get_attribute("src").as_deref() != Some(image.src.as_str()) {
                let _ = main.set_attribute("src", &image.src);
                let _ = main.set_attribute("srcset", &image.srcset());
                let _ = main.set_attribute("alt", &image.alt);
                let _ = main.set_attribute("width", &image.width.to_string());
                let _ = main.set_attribute("height", &image.height.to_string());
            }
        }
        for i in 0..count {
            if let Ok(Some(thumb)) =
                document.query_selector(&format!(".gallery__thumbs [data-image=\"{i}\"]"))
            {
                let _ = if i == shown {
                    thumb.set_attribute("hidden", "")
                } else {
                    thumb.remove_attribute("hidden")
                };
            }
        }
    }

    pub fn show_cart_count(count: u32) {
        let Some(document) = window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(Some(badge)) = document.query_selector("[data-cart-count]") {
            badge.set_text_content(Some(&count.to_string()));
            let _ = badge.remove_attribute("hidden");
        }
    }

    fn encode(text: &str) -> String {
        shared::url::encode(text)
    }

    /// What the page's edition's paths start with (`/fr-ca`), from `<html data-base>`;
    /// empty in the default edition.
    fn edition_base() -> String {
        window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|html| html.get_attribute("data-base"))
            .unwrap_or_default()
    }

    async fn fetch_json(request: web_sys::Request) -> Result<(u16, serde_json::Value), String> {
        let window = window().ok_or("no window")?;
        let response =
            JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| "network error")?;
        let response: web_sys::Response = response.dyn_into().map_err(|_| "bad response")?;
        let status = response.status();
        let text = JsFuture::from(response.text().map_err(|_| "bad body")?).await.map_err(|_| "bad body")?;
        let text = text.as_string().unwrap_or_default();
        let json = serde_json::from_str(&text).map_err(|_| "the shop answered in an unexpected way")?;
        Ok((status, json))
    }

    pub async fn add_to_cart(
        product: &str,
        variant: &str,
        quantity: &str,
        csrf: &str,
    ) -> Result<AddedToCart, String> {
        let body = format!(
            "product={}&variant={}&quantity={}&csrf={}",
            encode(product),
            encode(variant),
            encode(quantity),
            encode(csrf)
        );
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&web_sys::wasm_bindgen::JsValue::from_str(&body));
        let headers = web_sys::Headers::new().map_err(|_| "could not send")?;
        let _ = headers.set("content-type", "application/x-www-form-urlencoded");
        let _ = headers.set("accept", "application/json");
        init.set_headers(&headers);
        let request = web_sys::Request::new_with_str_and_init(&format!("{}/cart/add", edition_base()), &init)
            .map_err(|_| "could not send")?;
        let failed = "Sorry, that could not be added. Please try again.".to_string();
        match fetch_json(request).await {
            Ok((200, json)) => serde_json::from_value(json).map_err(|_| failed),
            Ok((_, json)) => {
                Err(json.get("message").and_then(|m| m.as_str()).map(str::to_string).unwrap_or(failed))
            }
            Err(_) => Err(failed),
        }
    }

    pub async fn suggest(query: &str) -> Vec<Suggestion> {
        let url = format!("{}/search/suggest?q={}", edition_base(), encode(query));
        let Ok(request) = web_sys::Request::new_with_str(&url) else {
            return Vec::new();
        };
        match fetch_json(request).await {
            Ok((200, json)) => json
                .get("suggestions")
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod client {
    use shared::api::{AddedToCart, Suggestion};

    pub fn replace_query(_query: &str) {}

    pub fn show_image(_shown: usize, _image: &shared::Image, _count: usize) {}

    pub fn show_cart_count(_count: u32) {}

    pub async fn add_to_cart(
        _product: &str,
        _variant: &str,
        _quantity: &str,
        _csrf: &str,
    ) -> Result<AddedToCart, String> {
        Err("Adding without a reload needs the browser.".into())
    }

    pub async fn suggest(_query: &str) -> Vec<Suggestion> {
        Vec::new()
    }
}
