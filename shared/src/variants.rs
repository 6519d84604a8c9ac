//! The variant picker's model: for each option of a product, each value and the variant
//! choosing it would lead to, given the values already chosen for the other options.
//! Used by the server-rendered picker (plain links) and by the picker island alike.

use crate::catalog::{Product, ProductOption, Variant};
use crate::ids::Sku;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionChoice {
    pub value: String,
    /// The variant to switch to when this value is picked (the exact combination if it
    /// exists, else the closest one offering the value); `None` if no variant offers it.
    pub target: Option<Sku>,
    pub selected: bool,
    /// The exact combination exists.
    pub exists: bool,
    /// The exact combination exists and is in stock.
    pub available: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionGroup {
    pub name: String,
    pub choices: Vec<OptionChoice>,
}

/// The variant a page shows: the one asked for if it exists, else the default.
pub fn resolve<'a>(product: &'a Product, requested: Option<&Sku>) -> Option<&'a Variant> {
    resolve_among(&product.variants, requested)
}

/// The same over a product's variants alone (what the picker island holds): the one
/// asked for if it exists, else the first in stock, else the first.
pub fn resolve_among<'a>(variants: &'a [Variant], requested: Option<&Sku>) -> Option<&'a Variant> {
    requested.and_then(|sku| variants.iter().find(|v| &v.sku == sku)).or_else(|| default_among(variants))
}

/// The variant shown first: the first one in stock, else the first one.
pub fn default_among(variants: &[Variant]) -> Option<&Variant> {
    variants.iter().find(|v| v.stock > 0).or_else(|| variants.first())
}

/// Every option with its values, relative to `selected`.
pub fn option_groups(
    options: &[ProductOption],
    variants: &[Variant],
    selected: &Variant,
) -> Vec<OptionGroup> {
    options
        .iter()
        .enumerate()
        .map(|(i, option)| OptionGroup {
            name: option.name.clone(),
            choices: option
                .values
                .iter()
                .map(|value| {
                    let mut wanted = selected.options.clone();
                    if let Some(slot) = wanted.get_mut(i) {
                        *slot = value.clone();
                    }
                    let exact = variants.iter().find(|v| v.options == wanted);
                    let offering = || variants.iter().filter(|v| v.options.get(i) == Some(value));
                    let target = exact
                        .or_else(|| offering().find(|v| v.stock > 0))
                        .or_else(|| offering().next())
                        .map(|v| v.sku.clone());
                    OptionChoice {
                        value: value.clone(),
                        target,
                        selected: selected.options.get(i) == Some(value),
                        exists: exact.is_some(),
                        available: exact.is_some_and(|v| v.stock > 0),
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::*;
    use crate::catalog::ProductOption;

    fn tee() -> Product {
        let mut p = product(
            "tee",
            vec![
                variant("S-RED", &["S", "Red"], 1000, 2),
                variant("M-RED", &["M", "Red"], 1000, 0),
                variant("S-BLUE", &["S", "Blue"], 1000, 1),
            ],
        );
        p.options = vec![
            ProductOption { name: "Size".into(), values: vec!["S".into(), "M".into(), "L".into()] },
            ProductOption { name: "Colour".into(), values: vec!["Red".into(), "Blue".into()] },
        ];
        p
    }

    #[test]
    fn marks_the_selection_and_unavailable_combinations() {
        let p = tee();
        let groups = option_groups(&p.options, &p.variants, &p.variants[0]); // S / Red
        let size = &groups[0].choices;
        assert!(size[0].selected && size[0].available);
        assert_eq!(size[1].target.as_ref().map(|s| s.as_str()), Some("M-RED"));
        assert!(size[1].exists && !size[1].available, "M / Red exists but is sold out");
        assert_eq!(size[2].target, None, "no variant offers L");
        let colour = &groups[1].choices;
        assert_eq!(colour[1].target.as_ref().map(|s| s.as_str()), Some("S-BLUE"));
        assert!(colour[1].available);
    }

    #[test]
    fn picking_a_value_without_the_exact_combination_finds_the_closest() {
        let p = tee();
        let groups = option_groups(&p.options, &p.variants, &p.variants[1]); // M / Red
        let blue = &groups[1].choices[1];
        assert!(!blue.exists, "M / Blue does not exist");
        assert_eq!(blue.target.as_ref().map(|s| s.as_str()), Some("S-BLUE"));
    }

    #[test]
    fn resolve_falls_back_to_the_default_variant() {
        let p = tee();
        let unknown = Sku::parse("NOPE").unwrap();
        assert_eq!(resolve(&p, Some(&unknown)).unwrap().sku.as_str(), "S-RED");
        let m = Sku::parse("M-RED").unwrap();
        assert_eq!(resolve(&p, Some(&m)).unwrap().sku.as_str(), "M-RED");
    }
}
