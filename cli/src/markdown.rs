//! Merchant Markdown to safe HTML. The sanitizer (ammonia, allow-list based) runs once,
//! when the catalog is built; the worker renders only its output unescaped.

use pulldown_cmark::{html, Options, Parser};

pub fn to_safe_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(
        &mut unsafe_html,
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_formatting_and_drops_scripts() {
        let html =
            to_safe_html("**Soft** wool.\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(html.contains("<strong>Soft</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn neutralises_javascript_links() {
        let html = to_safe_html("[click](javascript:alert(1))");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
