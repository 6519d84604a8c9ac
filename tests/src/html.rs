//! Just enough HTML reading for black-box assertions: titles, headings, links, text.

/// The text of the first `<title>`.
pub fn title(html: &str) -> Option<String> {
    let start = html.find("<title>")? + "<title>".len();
    let end = html[start..].find("</title>")? + start;
    Some(unescape(&html[start..end]))
}

/// How many elements named `tag` open in the document.
pub fn count_tag(html: &str, tag: &str) -> usize {
    let open = format!("<{tag}");
    html.match_indices(&open)
        .filter(|(i, _)| matches!(html.as_bytes().get(i + open.len()), Some(b' ' | b'>' | b'/')))
        .count()
}

/// Every `href` value of `<a>` elements, in document order.
pub fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<a ") {
        rest = &rest[at + 3..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if let Some(h) = tag.find("href=\"") {
            let value = &tag[h + 6..];
            if let Some(end) = value.find('"') {
                found.push(unescape(&value[..end]));
            }
        }
    }
    found
}

/// The visible text: tags and comments removed, entities decoded, blanks collapsed.
pub fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for ch in html.replace("<!>", "").replace("<!---->", "").chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The inner HTML of the first element whose opening tag contains `marker`
/// (nested elements of the same name are matched by depth).
pub fn element_containing<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let open_start = html[..at + 1].rfind('<')?;
    let name_end = html[open_start + 1..].find([' ', '>'])? + open_start + 1;
    let name = &html[open_start + 1..name_end];
    let content_start = html[at..].find('>')? + at + 1;
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut depth = 1;
    let mut cursor = content_start;
    while depth > 0 {
        let next_close = html[cursor..].find(&close)? + cursor;
        let next_open = html[cursor..next_close]
            .match_indices(&open)
            .map(|(i, _)| i + cursor)
            .find(|i| matches!(html.as_bytes().get(i + open.len()), Some(b' ' | b'>')));
        match next_open {
            Some(o) => {
                depth += 1;
                cursor = o + open.len();
            }
            None => {
                depth -= 1;
                if depth == 0 {
                    return Some(&html[content_start..next_close]);
                }
                cursor = next_close + close.len();
            }
        }
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_titles_links_and_text() {
        let page = r#"<html><head><title>A &amp; B</title></head><body><h1 class="x">Hi</h1><h10>no</h10><a class="c" href="/p?a=1&amp;b=2">P</a><p>Sub<!>total</p></body></html>"#;
        assert_eq!(title(page).as_deref(), Some("A & B"));
        assert_eq!(count_tag(page, "h1"), 1);
        assert_eq!(links(page), vec!["/p?a=1&b=2"]);
        assert!(text(page).contains("Subtotal"));
        assert_eq!(element_containing(page, r#"class="x""#), Some("Hi"));
        assert_eq!(element_containing(page, "<h1"), Some("Hi"));
        let nested = r#"<div><span class="a">x <span>y</span> z</span></div>"#;
        assert_eq!(element_containing(nested, r#"class="a""#), Some("x <span>y</span> z"));
    }
}
