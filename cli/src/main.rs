//! `storefront`: the merchant's command line. Validates the catalog folder, builds the
//! KV bulk file the worker reads, and publishes it to Workers KV.

use std::path::PathBuf;
use std::process::ExitCode;
use storefront_cli::{build, load_and_build, publish};

const USAGE: &str = "\
storefront — manage the shop's catalog

USAGE:
    storefront catalog validate DIR
    storefront catalog build DIR --out FILE [--public DIR]
    storefront catalog publish DIR (--local [--persist-to DIR] | --remote) [--public DIR]

DIR is a catalog folder (see catalog/ for the sample shop). --public names the
static assets folder that images are checked against (default: public).
Publishing runs `npx wrangler` from the current folder.
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

/// Options shared by the catalog subcommands.
struct Options {
    dir: PathBuf,
    out: Option<PathBuf>,
    public: PathBuf,
    local: bool,
    remote: bool,
    persist_to: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        dir: PathBuf::new(),
        out: None,
        public: PathBuf::from("public"),
        local: false,
        remote: false,
        persist_to: None,
    };
    let mut dir = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--out" => options.out = Some(PathBuf::from(value("--out")?)),
            "--public" => options.public = PathBuf::from(value("--public")?),
            "--persist-to" => options.persist_to = Some(PathBuf::from(value("--persist-to")?)),
            "--local" => options.local = true,
            "--remote" => options.remote = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n\n{USAGE}")),
            positional if dir.is_none() => dir = Some(PathBuf::from(positional)),
            extra => return Err(format!("unexpected argument {extra}\n\n{USAGE}")),
        }
    }
    options.dir = dir.ok_or_else(|| format!("name the catalog folder\n\n{USAGE}"))?;
    Ok(options)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["help" | "--help" | "-h", ..] => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "validate", ..] => {
            let options = parse_options(&args[2..])?;
            Ok(match report(load_and_build(&options.dir, &options.public)) {
                Some(built) => {
                    println!(
                        "Catalog is valid: {} products, {} categories.",
                        built.product_count, built.category_count
                    );
                    ExitCode::SUCCESS
                }
                None => ExitCode::FAILURE,
            })
        }
        ["catalog", "build", ..] => {
            let options = parse_options(&args[2..])?;
            let out = options.out.clone().ok_or("catalog build needs --out FILE")?;
            let Some(built) = report(load_and_build(&options.dir, &options.public)) else {
                return Ok(ExitCode::FAILURE);
            };
            let bytes = publish::write_bulk_file(&built, &out)?;
            println!(
                "Built catalog version {}: {} products, {} categories, {} keys, {} bytes → {}",
                built.version,
                built.product_count,
                built.category_count,
                built.entries.len(),
                bytes,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ["catalog", "publish", ..] => {
            let options = parse_options(&args[2..])?;
            let target = match (options.local, options.remote) {
                (true, false) => publish::Target::Local {
                    persist_to: options.persist_to.clone(),
                },
                (false, true) => publish::Target::Remote,
                _ => return Err("say where to publish: --local or --remote".into()),
            };
            let Some(built) = report(load_and_build(&options.dir, &options.public)) else {
                return Ok(ExitCode::FAILURE);
            };
            publish::publish(&built, &target)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!("unknown command\n\n{USAGE}")),
    }
}

/// Prints every problem (if any) and keeps only a clean build.
fn report(
    result: Result<build::BuiltCatalog, storefront_cli::source::Problems>,
) -> Option<build::BuiltCatalog> {
    match result {
        Ok(built) => Some(built),
        Err(problems) => {
            problems.print();
            None
        }
    }
}
