//! A merchant content page (about, shipping, returns) rendered from sanitized Markdown.

use crate::components::layout::{PageMeta, Shell};
use crate::tr;
use leptos::prelude::*;
use shared::{ContentPage, Site};

#[component]
pub fn ArticlePage(site: Site, page: ContentPage) -> impl IntoView {
    let meta = PageMeta {
        title: page.title.clone(),
        description: page.description.clone(),
        canonical: Some(format!("/pages/{}", page.handle)),
        og_type: Some("article"),
        ..Default::default()
    };
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label=tr("Breadcrumb")>
                <ol>
                    <li><a href="/">{tr("Home")}</a></li>
                    <li aria-current="page">{page.title.clone()}</li>
                </ol>
            </nav>
            <article class="article">
                <h1>{page.title}</h1>
                <div class="article__body" inner_html=page.body_html></div>
            </article>
        </Shell>
    }
}
