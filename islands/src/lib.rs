//! The browser entry point. Pages with islands load this bundle; `hydrate` starts the
//! reactive system and Leptos' loader then hydrates each `<leptos-island>` by calling
//! the function the `#[island]` macro exported for it. Pages without islands never
//! load it.

#[allow(unused_imports)]
use app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
