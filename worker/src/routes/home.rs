//! The home page.

use crate::catalog::CatalogReader;
use crate::error::AppResult;
use crate::http::{self, Rendered};
use app::{render_document, HomePage, RenderContext};
use futures_util::future::join;
use leptos::prelude::*;

pub async fn render(catalog: &CatalogReader<'_>, ctx: RenderContext) -> AppResult<Rendered> {
    let (site, home) = join(catalog.site(), catalog.home()).await;
    let (site, home) = ((*site?).clone(), (*home?).clone());
    Ok((http::HTML, render_document(ctx, move || view! { <HomePage site home/> })))
}
