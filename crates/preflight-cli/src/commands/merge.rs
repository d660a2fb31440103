//! `preflight merge`: the reports of `preflight scan --shard K/N` combined
//! into the report of one scan.

use anyhow::{Context, Result};
use preflight::scan::ScanReport;

use crate::cli::MergeArgs;
use crate::Outcome;

/// Runs `merge`.
pub fn run(args: &MergeArgs) -> Result<Outcome> {
    let mut reports = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        reports.push(ScanReport::from_json(&bytes, path)?);
    }
    let names: Vec<String> = args
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let merged = ScanReport::merge(reports, &names)?;
    super::scan::finish(&merged, Some(&args.output), args.json)
}
