//! `storefront`: the merchant's command line. Validates the catalog folder, builds the
//! KV bulk file the worker reads, publishes it to Workers KV, rolls back, and generates
//! synthetic catalogs for scale tests.

use std::path::PathBuf;

/// Building a large catalog allocates and frees millions of small strings; mimalloc
/// does that several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;
use std::time::Instant;
use storefront_cli::{
    generate, load_and_build, load_and_validate, publish, publish_folder, source::Problems, PublishError,
};

const USAGE: &str = "\
storefront — manage the shop's catalog

USAGE:
    storefront catalog validate DIR [--public DIR]
    storefront catalog build DIR --out FILE [--public DIR]
    storefront catalog publish DIR (--local [--persist-to DIR] | --remote) [--public DIR] [--full]
    storefront catalog rollback (--local [--persist-to DIR] | --remote)
    storefront catalog prune --keep N [--dry-run] [--force] (--local [--persist-to DIR] | --remote)
    storefront catalog generate --products N --out DIR [--seed N]

DIR is a catalog folder (the sample shop is in catalog/). --public names the static
assets folder images are checked against (default: public). publish, rollback and
prune run `npx wrangler` from the current folder (the project root).

publish uploads only the documents that changed since the live version (--full uploads
all of them); an interrupted publish changes nothing shoppers see, and running it again
finishes it. prune deletes what no kept version reads: it keeps the last N versions
published, the live one and the one a rollback would go to; --dry-run lists the keys.
It refuses while a publish is unfinished (its uploads would look unused) unless --force.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Options {
    dir: Option<PathBuf>,
    out: Option<PathBuf>,
    public: Option<PathBuf>,
    local: bool,
    remote: bool,
    persist_to: Option<PathBuf>,
    products: Option<usize>,
    seed: Option<u64>,
    keep: Option<usize>,
    full: bool,
    dry_run: bool,
    force: bool,
}

impl Options {
    fn dir(&self) -> Result<PathBuf, String> {
        self.dir.clone().ok_or_else(|| format!("name the catalog folder\n\n{USAGE}"))
    }

    fn public(&self) -> PathBuf {
        self.public.clone().unwrap_or_else(|| PathBuf::from("public"))
    }

    fn target(&self) -> Result<publish::Target, String> {
        match (self.local, self.remote) {
            (true, false) => Ok(publish::Target::Local {
                project: PathBuf::from("."),
                persist_to: self.persist_to.clone(),
            }),
            (false, true) => Ok(publish::Target::Remote { project: PathBuf::from(".") }),
            _ => Err("say where: --local or --remote".into()),
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| iter.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => options.out = Some(PathBuf::from(value("--out")?)),
            "--public" => options.public = Some(PathBuf::from(value("--public")?)),
            "--persist-to" => options.persist_to = Some(PathBuf::from(value("--persist-to")?)),
            "--products" => {
                let text = value("--products")?;
                options.products =
                    Some(text.parse().map_err(|_| format!("--products needs a number, not `{text}`"))?);
            }
            "--seed" => {
                let text = value("--seed")?;
                options.seed =
                    Some(text.parse().map_err(|_| format!("--seed needs a number, not `{text}`"))?);
            }
            "--keep" => {
                let text = value("--keep")?;
                options.keep =
                    Some(text.parse().map_err(|_| format!("--keep needs a number, not `{text}`"))?);
            }
            "--full" => options.full = true,
            "--dry-run" => options.dry_run = true,
            "--force" => options.force = true,
            "--local" => options.local = true,
            "--remote" => options.remote = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n\n{USAGE}")),
            positional if options.dir.is_none() => options.dir = Some(PathBuf::from(positional)),
            extra => return Err(format!("unexpected argument {extra}\n\n{USAGE}")),
        }
    }
    Ok(options)
}

/// Prints every problem (if any) and keeps only a clean result.
fn report<T>(result: Result<T, Problems>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(problems) => {
            problems.print();
            None
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let rest = || parse_options(args.get(2..).unwrap_or(&[]));
    match words.as_slice() {
        [] | ["help" | "--help" | "-h", ..] | ["catalog"] => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "validate", ..] => {
            let options = rest()?;
            let started = Instant::now();
            Ok(match report(load_and_validate(&options.dir()?, &options.public())) {
                Some(valid) => {
                    println!(
                        "Catalog is valid: {} products, {} categories, {} pages ({:.1}s).",
                        valid.products.len(),
                        valid.categories.len(),
                        valid.pages.len(),
                        started.elapsed().as_secs_f64()
                    );
                    let missing = storefront_cli::editions::missing_translations(&valid);
                    if !missing.is_empty() {
                        println!(
                            "{} texts have no translation and are shown in the catalog's language ({}):",
                            missing.len(),
                            valid.language
                        );
                        for line in &missing {
                            println!("  {line}");
                        }
                    }
                    ExitCode::SUCCESS
                }
                None => ExitCode::FAILURE,
            })
        }
        ["catalog", "build", ..] => {
            let options = rest()?;
            let out = options.out.clone().ok_or("catalog build needs --out FILE")?;
            let started = Instant::now();
            let Some(built) = report(load_and_build(&options.dir()?, &options.public())) else {
                return Ok(ExitCode::FAILURE);
            };
            let bytes = publish::write_bulk_file(&built, &out)?;
            println!(
                "Built catalog version {}: {} products, {} categories, {} keys, {} bytes → {} ({:.1}s)",
                built.version,
                built.product_count,
                built.category_count,
                built.documents.len() + 1,
                bytes,
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "publish", ..] => {
            let options = rest()?;
            let target = options.target()?;
            let publish_options = publish::PublishOptions {
                full: options.full,
                cache: publish::ManifestCache::for_user(),
                ..Default::default()
            };
            match publish_folder(&options.dir()?, &options.public(), &target, &publish_options) {
                Ok(done) => {
                    println!("{}", done.summary());
                    Ok(ExitCode::SUCCESS)
                }
                Err(PublishError::Invalid(problems)) => {
                    problems.print();
                    Ok(ExitCode::FAILURE)
                }
                Err(PublishError::Failed(message)) => Err(message),
            }
        }
        ["catalog", "prune", ..] => {
            let options = rest()?;
            let keep =
                options.keep.ok_or("catalog prune needs --keep N (how many recent versions to keep)")?;
            let done = publish::prune(&options.target()?, keep, options.dry_run, options.force)?;
            if options.dry_run {
                for key in &done.keys {
                    println!("{key}");
                }
            }
            println!("{}", done.summary());
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "rollback", ..] => {
            let options = rest()?;
            publish::rollback(&options.target()?)?;
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "generate", ..] => {
            let options = rest()?;
            let products = options.products.ok_or("catalog generate needs --products N")?;
            let out = options.out.clone().ok_or("catalog generate needs --out DIR")?;
            let started = Instant::now();
            let variants = generate::generate(products, &out, options.seed.unwrap_or(1))?;
            println!(
                "Generated {products} products ({variants} variants) into {} ({:.1}s).",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!("unknown command\n\n{USAGE}")),
    }
}
