//! The error page for 4xx and 5xx answers: a heading, what happened, and ways back.

use crate::components::layout::{PageMeta, Shell};
use crate::{say, tr};
use leptos::prelude::*;
use shared::strings::Text;
use shared::Site;

#[component]
pub fn ErrorPage(site: Site, status: u16, heading: Text, message: Text) -> impl IntoView {
    let (heading, message) = (say(&heading), say(&message));
    let meta = PageMeta {
        title: heading.clone(),
        description: message.clone(),
        noindex: true,
        ..Default::default()
    };
    view! {
        <Shell site meta>
            <section class="error-page">
                <p class="error-page__status">{status}</p>
                <h1>{heading}</h1>
                <p>{message}</p>
                <p>
                    <a class="button button--primary" href="/">{tr("Go to the home page")}</a>
                    " "
                    <a class="button" href="/search">{tr("Search the shop")}</a>
                </p>
            </section>
        </Shell>
    }
}
