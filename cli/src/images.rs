//! Intrinsic sizes of the images a catalog references, read from the files in the
//! static assets folder so every `<img>` gets explicit width and height.

use crate::source::{At, Problems};
use shared::Image;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// An image's size, or what is wrong with it and how to fix it.
type SizeOrProblem = Result<(u32, u32), (String, &'static str)>;

/// Looks up image files under `public/`, reading each one's size once however many
/// products share it.
pub struct ImageCatalog {
    public: PathBuf,
    sizes: HashMap<String, SizeOrProblem>,
}

impl ImageCatalog {
    pub fn new(public: &Path) -> ImageCatalog {
        ImageCatalog { public: public.to_path_buf(), sizes: HashMap::new() }
    }

    /// The image at `src` with its size, or a problem recorded against `file`.
    pub fn image(
        &mut self,
        file: &Path,
        src: &At<String>,
        alt: String,
        problems: &mut Problems,
    ) -> Option<Image> {
        let public = &self.public;
        let size = self.sizes.entry(src.value.clone()).or_insert_with(|| {
            let path = resolve(public, &src.value)
                .map_err(|m| (m, "write the path as it is served, like `/images/products/tee.svg`"))?;
            if !path.is_file() {
                return Err((
                    format!("image `{}` not found (looked for {})", src.value, path.display()),
                    "add the file under public/ or correct the path",
                ));
            }
            dimensions(&path)
                .map_err(|m| (m, "re-export the image as SVG with width and height, PNG or JPEG"))
        });
        match size {
            Ok((width, height)) => {
                Some(Image { src: src.value.clone(), alt, width: *width, height: *height })
            }
            Err((message, fix)) => {
                problems.add(file, src.line, message.clone(), *fix);
                None
            }
        }
    }
}

/// Where an image path like `/images/products/tee.svg` lives under `public`, refusing
/// anything that could escape it.
pub fn resolve(public: &Path, src: &str) -> Result<PathBuf, String> {
    let relative = src.strip_prefix('/').ok_or_else(|| format!("image path `{src}` must start with `/`"))?;
    let relative = Path::new(relative);
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!("image path `{src}` may not contain `..` or `.`"));
    }
    Ok(public.join(relative))
}

/// Width and height in CSS pixels.
pub fn dimensions(path: &Path) -> Result<(u32, u32), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "svg" => svg_dimensions(&String::from_utf8_lossy(&bytes)),
        "png" => png_dimensions(&bytes),
        "jpg" | "jpeg" => jpeg_dimensions(&bytes),
        _ => None,
    }
    .ok_or_else(|| {
        format!("cannot read the size of {}: use SVG (with width and height), PNG or JPEG", path.display())
    })
}

fn svg_dimensions(text: &str) -> Option<(u32, u32)> {
    let start = text.find("<svg")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let attr = |name: &str| -> Option<f64> {
        let needle = format!(" {name}=\"");
        let at = tag.find(&needle)? + needle.len();
        let value = &tag[at..at + tag[at..].find('"')?];
        value.trim_end_matches("px").parse().ok()
    };
    match (attr("width"), attr("height")) {
        (Some(w), Some(h)) if w > 0.0 && h > 0.0 => Some((w.round() as u32, h.round() as u32)),
        _ => {
            let at = tag.find(" viewBox=\"")? + " viewBox=\"".len();
            let parts: Vec<f64> = tag[at..at + tag[at..].find('"')?]
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            match parts.as_slice() {
                [_, _, w, h] if *w > 0.0 && *h > 0.0 => Some((w.round() as u32, h.round() as u32)),
                _ => None,
            }
        }
    }
}

fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let length = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        i += 2 + length;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_svg_sizes() {
        assert_eq!(svg_dimensions(r#"<svg xmlns="x" width="800" height="600">"#), Some((800, 600)));
        assert_eq!(svg_dimensions(r#"<svg xmlns="x" viewBox="0 0 400 300">"#), Some((400, 300)));
        assert_eq!(svg_dimensions("<html>"), None);
    }

    #[test]
    fn image_paths_cannot_escape_public() {
        let public = Path::new("public");
        assert!(resolve(public, "/images/a.svg").is_ok());
        assert!(resolve(public, "/../secret").is_err());
        assert!(resolve(public, "images/a.svg").is_err());
        assert!(resolve(public, "/images/../../etc/passwd").is_err());
    }
}
