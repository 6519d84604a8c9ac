//! Site search without an external service: the catalog build writes an inverted index
//! sharded by the first character of each term; the worker reads only the shards a
//! query needs. Ranking: field weights (title above options above description), exact
//! over prefix over typo matches; every query word must match (AND).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Longest query the worker will run, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Most words of a query that are used.
pub const MAX_QUERY_TERMS: usize = 8;
/// Most postings kept per term (the highest-scoring ones), to bound shard size.
pub const MAX_POSTINGS: usize = 2000;

/// Weights of the fields a product is found by.
pub mod weight {
    pub const TITLE: u32 = 10;
    pub const SKU: u32 = 8;
    pub const OPTION: u32 = 4;
    pub const VENDOR: u32 = 3;
    pub const CATEGORY: u32 = 3;
    pub const DESCRIPTION: u32 = 1;
}

/// Lower-cases, folds common Latin accents and splits on anything not a letter or digit.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        let folded = fold(ch);
        if folded.is_alphanumeric() {
            current.extend(folded.to_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn fold(ch: char) -> char {
    match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        other => other,
    }
}

/// The shard a term lives in: its first character (`a`–`z`, `0`–`9`), else `_`.
pub fn shard_of(term: &str) -> String {
    match term.chars().next() {
        Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => c.to_string(),
        _ => "_".to_string(),
    }
}

/// One shard: sorted terms, and for each the cards containing it with a score.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchShard {
    pub terms: Vec<String>,
    /// `[card, score]`, highest score first.
    pub postings: Vec<Vec<[u32; 2]>>,
}

/// Collects postings while the catalog is built.
#[derive(Default)]
pub struct SearchIndexBuilder {
    postings: BTreeMap<String, HashMap<u32, u32>>,
}

impl SearchIndexBuilder {
    /// Indexes `text` for `card` with a field weight.
    pub fn add(&mut self, card: u32, text: &str, weight: u32) {
        for term in terms(text) {
            let score = self.postings.entry(term).or_default().entry(card).or_insert(0);
            *score = score.saturating_add(weight);
        }
    }

    /// Shards by name, terms sorted.
    pub fn finish(self) -> BTreeMap<String, SearchShard> {
        let mut shards: BTreeMap<String, SearchShard> = BTreeMap::new();
        for (term, cards) in self.postings {
            let mut list: Vec<[u32; 2]> = cards.into_iter().map(|(c, s)| [c, s]).collect();
            list.sort_by(|a, b| b[1].cmp(&a[1]).then(a[0].cmp(&b[0])));
            list.truncate(MAX_POSTINGS);
            let shard = shards.entry(shard_of(&term)).or_default();
            shard.terms.push(term);
            shard.postings.push(list);
        }
        shards
    }
}

/// The words of a query that will be searched, bounded in number and length.
pub fn query_terms(query: &str) -> Vec<String> {
    let bounded: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut out: Vec<String> = Vec::new();
    for term in terms(&bounded) {
        if !out.contains(&term) {
            out.push(term);
        }
        if out.len() == MAX_QUERY_TERMS {
            break;
        }
    }
    out
}

/// The shards a query needs.
pub fn shards_for(query_terms: &[String]) -> Vec<String> {
    let mut names: Vec<String> = query_terms.iter().map(|t| shard_of(t)).collect();
    names.sort();
    names.dedup();
    names
}

/// Levenshtein distance, giving up (None) once it must exceed `max`.
fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        // One row of the table: `current[j]` is the distance between a[..=i] and b[..j].
        let mut current = Vec::with_capacity(b.len().saturating_add(1));
        let first = i.saturating_add(1);
        current.push(first);
        let (mut row_min, mut left) = (first, first);
        for ((cb, diagonal), up) in b.iter().zip(previous.iter()).zip(previous.iter().skip(1)) {
            let value = diagonal
                .saturating_add(usize::from(ca != cb))
                .min(up.saturating_add(1))
                .min(left.saturating_add(1));
            current.push(value);
            row_min = row_min.min(value);
            left = value;
        }
        if row_min > max {
            return None;
        }
        previous = current;
    }
    let distance = previous.last().copied().unwrap_or(usize::MAX);
    (distance <= max).then_some(distance)
}

/// How many typos a query word may contain.
fn allowed_typos(term: &str) -> usize {
    match term.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Best score of each card for one query word.
fn match_term(term: &str, shard: &SearchShard) -> HashMap<u32, u32> {
    let mut best: HashMap<u32, u32> = HashMap::new();
    let mut add = |postings: &Vec<[u32; 2]>, factor: u32| {
        for [card, score] in postings {
            let s = score.saturating_mul(factor);
            let slot = best.entry(*card).or_insert(0);
            if s > *slot {
                *slot = s;
            }
        }
    };
    // Exact and prefix matches: a contiguous run of the sorted terms.
    let start = shard.terms.partition_point(|t| t.as_str() < term);
    let run = shard.terms.iter().zip(shard.postings.iter()).skip(start).take(200);
    for (candidate, postings) in run {
        if !candidate.starts_with(term) {
            break;
        }
        let factor = if candidate == term { 4 } else { 2 };
        add(postings, factor);
    }
    let typos = allowed_typos(term);
    if typos > 0 {
        for (candidate, postings) in shard.terms.iter().zip(shard.postings.iter()) {
            if candidate.starts_with(term) {
                continue;
            }
            if edit_distance_within(term, candidate, typos).is_some() {
                add(postings, 1);
            }
        }
    }
    best
}

/// Runs a query over the shards it needs (`shard(name)` returns one if loaded).
/// Returns cards with their scores, best first; every query word must match.
pub fn search<'a>(
    query_terms: &[String],
    shard: impl Fn(&str) -> Option<&'a SearchShard>,
) -> Vec<(u32, u32)> {
    let mut combined: Option<HashMap<u32, u32>> = None;
    for term in query_terms {
        let matches = match shard(&shard_of(term)) {
            Some(s) => match_term(term, s),
            None => HashMap::new(),
        };
        combined = Some(match combined {
            None => matches,
            Some(so_far) => so_far
                .into_iter()
                .filter_map(|(card, score)| matches.get(&card).map(|s| (card, score.saturating_add(*s))))
                .collect(),
        });
    }
    let mut ranked: Vec<(u32, u32)> = combined.unwrap_or_default().into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> BTreeMap<String, SearchShard> {
        let mut b = SearchIndexBuilder::default();
        b.add(1, "Merino Crew Sweater", weight::TITLE);
        b.add(1, "Soft merino wool", weight::DESCRIPTION);
        b.add(1, "MCS-M-OAT", weight::SKU);
        b.add(2, "Cotton Tee", weight::TITLE);
        b.add(2, "Pairs well with a merino sweater", weight::DESCRIPTION);
        b.add(3, "Crème Brûlée Candle", weight::TITLE);
        b.finish()
    }

    fn run(query: &str) -> Vec<u32> {
        let shards = index();
        search(&query_terms(query), |name| shards.get(name)).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn title_matches_outrank_description_matches() {
        assert_eq!(run("merino"), vec![1, 2]);
    }

    #[test]
    fn every_word_must_match() {
        assert_eq!(run("merino tee"), vec![2]);
        assert!(run("merino candle").is_empty());
    }

    #[test]
    fn prefixes_typos_accents_and_skus_match() {
        assert_eq!(run("meri"), vec![1, 2]);
        assert_eq!(run("sweatr"), vec![1, 2]);
        assert_eq!(run("creme brulee"), vec![3]);
        assert_eq!(run("mcs-m-oat")[0], 1);
        assert_eq!(run("MCS"), vec![1]);
    }

    #[test]
    fn short_words_get_no_typo_allowance() {
        assert!(run("tex").is_empty());
    }

    #[test]
    fn queries_are_bounded() {
        let long = "word ".repeat(1000);
        assert!(query_terms(&long).len() <= MAX_QUERY_TERMS);
        let many: String = (0..50).map(|i| format!("w{i} ")).collect();
        assert_eq!(query_terms(&many).len(), MAX_QUERY_TERMS);
        assert!(query_terms("<script>").iter().all(|t| t.chars().all(char::is_alphanumeric)));
    }

    #[test]
    fn edit_distance_gives_up_early() {
        assert_eq!(edit_distance_within("sweater", "sweatr", 1), Some(1));
        assert_eq!(edit_distance_within("sweater", "sw", 2), None);
        assert_eq!(edit_distance_within("abc", "abc", 0), Some(0));
    }
}
