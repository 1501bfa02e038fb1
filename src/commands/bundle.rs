use anyhow::Context as _;

use crate::cli::{ConfigFormat, Format, ResolveArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::Diagnostics;
use crate::source::bundle::{self, TreeNode};

pub fn resolve(args: ResolveArgs) -> anyhow::Result<u8> {
    let mut diags = Diagnostics::new();
    let set = bundle::load(&[(args.file.clone(), None)], &mut diags);
    if report(&diags, Format::Human) {
        return Ok(FAILED);
    }
    let tree = set.tree();
    match args.format {
        ConfigFormat::Yaml => {
            print!("{}", TreeNode::render(&tree));
            let config =
                serde_yaml::to_string(&set.config).context("cannot print the config as YAML")?;
            println!("\nconfig:");
            for line in config.lines() {
                println!("  {line}");
            }
        }
        ConfigFormat::Json => {
            let value = serde_json::json!({ "tree": tree, "config": set.config });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
    }
    Ok(OK)
}
