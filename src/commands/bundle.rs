use anyhow::Context as _;

use crate::cli::{ConfigFormat, Format, ResolveArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::Diagnostics;
use crate::source::bundle::{self, TreeNode};

pub fn resolve(args: ResolveArgs) -> anyhow::Result<u8> {
    let mut diags = Diagnostics::new();
    let policy = bundle::IncludePolicy::for_file(&args.file);
    let set = bundle::load(&[(args.file.clone(), None)], policy, &mut diags);
    if report(&diags, Format::Human) {
        return Ok(FAILED);
    }
    let tree = set.tree();
    match args.format {
        ConfigFormat::Yaml => {
            let mut text = TreeNode::render(&tree);
            let config =
                serde_yaml::to_string(&set.config).context("cannot print the config as YAML")?;
            text.push_str("\nconfig:\n");
            for line in config.lines() {
                text.push_str(&format!("  {line}\n"));
            }
            crate::term::out(&text);
        }
        ConfigFormat::Json => {
            let value = serde_json::json!({ "tree": tree, "config": set.config });
            crate::term::outln(&serde_json::to_string_pretty(&value)?);
        }
    }
    Ok(OK)
}
