//! A content page (about, shipping, returns…).

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};
use app::{render_document, ArticlePage, RenderContext};
use futures_util::future::join;
use leptos::prelude::*;
use shared::Handle;

pub async fn render(catalog: &CatalogReader<'_>, ctx: RenderContext, handle: &str) -> AppResult<Rendered> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (site, page) = join(catalog.site(), catalog.page(&handle)).await;
    let (site, page) = ((*site?).clone(), (*page?.ok_or(AppError::NotFound)?).clone());
    Ok((http::HTML, render_document(ctx, move || view! { <ArticlePage site page/> })))
}
