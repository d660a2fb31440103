//! Writes the side-by-side table of PREP channel flags, preflight against
//! PyPREP, on the 14 runs of eegmmidb_S001, as markdown on stdout.
//!
//! ```text
//! cargo run -p preflight --example prep_compare -- [DATA_ROOT] \
//!     > crates/preflight/tests/reference/prep_comparison.md
//! ```
//!
//! PyPREP's flags come from `tests/reference/prep_expected/*.json`
//! (`tests/reference/make_prep.py`); DATA_ROOT defaults to
//! `../shared/data`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use preflight::measure::line_noise::{line_ratio, LineNoiseConfig};
use preflight::measure::prep::{noisy_channels, PrepConfig};
use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
use serde_json::Value;

#[path = "../tests/common/mod.rs"]
mod common;

const BANDS: [&str; 3] = ["1-15 Hz", "15-30 Hz", "30-45 Hz"];

fn main() -> Result<()> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../shared/data"));
    let expected_dir = manifest.join("tests/reference/prep_expected");

    let mut rows = String::new();
    let mut ours_count: BTreeMap<&str, usize> = BTreeMap::new();
    let mut theirs_count: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut psd_only = Vec::new();
    let mut tool = String::new();
    let mut planner = SpectrumPlanner::new();
    let mut all_mains_db = Vec::new();
    let line_config = LineNoiseConfig::default();
    for r in 1..=14 {
        let name = format!("S001R{r:02}.edf");
        let json = expected_dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&json)
            .with_context(|| format!("reading {}", json.display()))?;
        let expected: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", json.display()))?;
        tool = expected["tool"].as_str().unwrap_or("").to_string();

        // Our criteria on the data signals of the file.
        let path = root.join("eegmmidb_S001").join(&name);
        let edf = edf::Edf::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let header = edf.header();
        let signals: Vec<usize> = header.data_signals().collect();
        let sfreq = signals
            .first()
            .and_then(|&s| header.sfreq_hz(s))
            .with_context(|| format!("{}: no data signal", path.display()))?;
        let mut channels = Vec::with_capacity(signals.len());
        for &s in &signals {
            channels.push(
                edf.read_signal::<f64>(s)
                    .with_context(|| format!("reading {} signal {s}", path.display()))?,
            );
        }
        let plan = planner.plan(WelchConfig::for_sfreq(sfreq));
        let mut mains_db = Vec::with_capacity(channels.len());
        for c in &channels {
            let mut welch = Welch::new(plan.clone());
            welch.push(c);
            let db = welch
                .psd(sfreq)
                .and_then(|psd| line_ratio(&psd, 60.0, &line_config))
                .map(|r| 10.0 * r.log10());
            all_mains_db.extend(db);
            mains_db.push(db.map_or("-".to_string(), |db| format!("{db:.1}")));
        }
        let report = noisy_channels(channels, sfreq, &PrepConfig::default());

        let empty = Vec::new();
        let theirs_all = expected["channels"].as_array().unwrap_or(&empty);
        for (((&s, ours), theirs), mains) in signals
            .iter()
            .zip(&report.channels)
            .zip(theirs_all)
            .zip(&mains_db)
        {
            let label = header.signals[s].label.as_str();
            let ours: Vec<&str> = ours.reasons().collect();
            let mut their_flags: Vec<String> = theirs["flags"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            their_flags.sort_by_key(|f| order(f));
            let psd = theirs["psd"].as_bool().unwrap_or(false);
            for f in &ours {
                *ours_count.entry(f).or_default() += 1;
            }
            for f in &their_flags {
                *theirs_count.entry(f.clone()).or_default() += 1;
            }
            if psd {
                *theirs_count.entry("psd".into()).or_default() += 1;
            }
            if ours.is_empty() && their_flags.is_empty() && !psd {
                continue;
            }
            let same = ours.iter().map(|s| s.to_string()).collect::<Vec<_>>() == their_flags;
            if !same {
                disagreements.push(format!("{name} {label}"));
            }
            let psd_cell = if psd {
                psd_reason(theirs)
            } else {
                "-".to_string()
            };
            if psd && their_flags.is_empty() {
                psd_only.push(psd_cell.clone());
            }
            let cell = |v: &[String]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.join(", ")
                }
            };
            let ours_cell = cell(&ours.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let verdict = match (same, psd) {
                (true, false) => "same",
                (true, true) => "same, except PSD",
                (false, _) => "**differs**",
            };
            writeln!(
                rows,
                "| {name} | {label} | {ours_cell} | {} | {psd_cell} | {verdict} | {mains} |",
                cell(&their_flags)
            )?;
        }
    }

    // The page.
    let mut out = String::new();
    writeln!(
        out,
        "# PREP channel criteria: preflight against PyPREP on eegmmidb_S001\n"
    )?;
    writeln!(
        out,
        "Made by `cargo run -p preflight --example prep_compare` from PyPREP's output in \
         `prep_expected/` ({tool}; `tests/reference/make_prep.py`). PyPREP ran \
         `NoisyChannels(raw, do_detrend=True, ransac=False)` and the deviation, HF-noise, \
         correlation (with dropout) and SNR criteria; preflight ran \
         `measure::prep::noisy_channels` with `PrepConfig::default()`. Both use PyPREP's \
         default thresholds. The `PyPREP PSD` column is PyPREP's `find_bad_by_PSD`, which \
         `find_all_bads` adds and preflight does not implement.\n"
    )?;
    writeln!(
        out,
        "## Flags per criterion (channel-runs, 14 runs x 64 channels)\n"
    )?;
    writeln!(out, "| criterion | preflight | PyPREP |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for c in [
        "nan",
        "flat",
        "deviation",
        "hf_noise",
        "correlation",
        "SNR",
        "dropout",
        "psd",
    ] {
        let ours = if c == "psd" {
            "not implemented".to_string()
        } else {
            ours_count.get(c).copied().unwrap_or(0).to_string()
        };
        writeln!(
            out,
            "| {c} | {ours} | {} |",
            theirs_count.get(c).copied().unwrap_or(0)
        )?;
    }
    writeln!(out, "\n## Every channel flagged by either\n")?;
    let all_db = &mut all_mains_db;
    all_db.sort_by(f64::total_cmp);
    let median_db = all_db.get(all_db.len() / 2).copied().unwrap_or(f64::NAN);
    writeln!(
        out,
        "The last column is preflight's 60 Hz line-noise ratio of the channel \
         (`measure::line_noise::line_ratio` on a Welch spectrum of 512-sample segments, dB over \
         the 1-3 Hz flanks); over all 896 channel-runs its median is {median_db:.1} dB.\n"
    )?;
    writeln!(
        out,
        "| run | channel | preflight | PyPREP (without PSD) | PyPREP PSD | verdict | 60 Hz (dB) |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |")?;
    out.push_str(&rows);
    writeln!(out, "\n## Disagreements\n")?;
    if disagreements.is_empty() {
        writeln!(
            out,
            "Without the PSD criterion there is none: every flag of every channel of the 14 runs \
             is the same, and the deviation and HF-noise z-scores behind them differ by at most \
             3e-13 relative (`tests/prep_pyprep.rs` checks flags, z-scores to 1e-6 and window \
             fractions on every test run).\n"
        )?;
    } else {
        writeln!(
            out,
            "Channels whose flags differ without the PSD criterion: {}.\n",
            disagreements.join(", ")
        )?;
    }
    let low = psd_only.iter().filter(|r| r.contains(BANDS[0])).count();
    let mid = psd_only.iter().filter(|r| r.contains(BANDS[1])).count();
    let high = psd_only.iter().filter(|r| r.contains(BANDS[2])).count();
    let slope = psd_only.iter().filter(|r| r.contains("1/f")).count();
    writeln!(
        out,
        "PyPREP's `find_all_bads` would also flag the channels marked in the PSD column. {} \
         channel-runs are flagged by the PSD criterion alone ({low} with a {} band z above 3, \
         {mid} in the {} band, {high} in the {} band, {slope} with more 30-45 Hz than 1-15 Hz \
         power; a channel can have several). preflight leaves this criterion out on purpose: it \
         exists only in PyPREP (not MATLAB PREP), its threshold of z > 3 on band power is \
         crossed here mostly by frontal channels (Fp1, Af7, Af3) in the 30-45 Hz band and \
         occipital ones (O1, Oz, O2, Iz) in the 15-30 Hz band, run after run: the spread of \
         band power across the scalp that clean EEG has (frontal muscle and occipital rhythms \
         are the likely sources; this table does not prove it). On the peers' benchmark set \
         (b) it causes all 58 of PyPREP's false positives (../shared/peers/RESULTS.md).",
        psd_only.len(),
        BANDS[0],
        BANDS[1],
        BANDS[2]
    )?;
    planted_section(
        &mut out,
        &manifest.join("tests/reference/prep_planted.json"),
    )?;
    print!("{out}");
    Ok(())
}

/// The planted-fault recording of `make_prep.py`, with and without the
/// detrend: flags and window fractions side by side.
fn planted_section(out: &mut String, path: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let expected: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    writeln!(out, "\n## Planted faults\n")?;
    writeln!(
        out,
        "No channel of eegmmidb_S001 is NaN, flat or in dropout, so `make_prep.py` also builds \
         a synthetic recording (16 channels, 256 Hz, 30 s, a shared 10 Hz and 3 Hz rhythm) with \
         one fault per criterion: c1 one NaN sample, c2 constant -120 uV, c3 20 times too large, \
         c4 plus 60 uV of 60 Hz, c5 noise without the shared rhythm, c6 constant 4 uV for 10 s. \
         The other channels are clean and flagged by neither.\n"
    )?;
    writeln!(
        out,
        "| detrend | channel | preflight | PyPREP | bad-correlation windows \
        (preflight / PyPREP) | dropout windows |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    let empty = Vec::new();
    for run in expected["runs"].as_array().unwrap_or(&empty) {
        let detrend = run["do_detrend"].as_bool().unwrap_or(true);
        let config = PrepConfig {
            detrend,
            ..PrepConfig::default()
        };
        let report = noisy_channels(common::planted(), 256.0, &config);
        let windows = report.windows as f64;
        for (c, (ours, theirs)) in report
            .channels
            .iter()
            .zip(run["channels"].as_array().unwrap_or(&empty))
            .enumerate()
        {
            let ours_flags: Vec<&str> = ours.reasons().collect();
            let mut their_flags: Vec<&str> = theirs["flags"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            their_flags.sort_by_key(|f| order(f));
            if ours_flags.is_empty() && their_flags.is_empty() {
                continue;
            }
            let count = |v: Option<f64>| (v.unwrap_or(0.0) * windows).round();
            writeln!(
                out,
                "| {detrend} | c{c} | {} | {} | {} / {} | {} / {} |",
                ours_flags.join(", "),
                their_flags.join(", "),
                count(ours.bad_correlation_fraction),
                count(theirs["bad_correlation_fraction"].as_f64()),
                count(ours.dropout_fraction),
                count(theirs["dropout_fraction"].as_f64()),
            )?;
        }
    }
    writeln!(
        out,
        "\nThe flags agree. One count can differ, c6's bad-correlation windows with the detrend \
         (see the table). After the 1 Hz high-pass the middle of its flat stretch holds only \
         floating-point residue (a few 1e-15 uV; PyPREP's low-passed windows 12 to 17 peak at \
         4e-21 V), and the correlations of that residue with the other channels are \
         correlations of rounding noise, different for MNE's FFT filter and this one. The same \
         residue is why neither flags c6 by dropout with the detrend: a window is in dropout only \
         when its low-passed MAD is exactly 0, which it is without the detrend (10 windows, both)."
    )?;
    Ok(())
}

/// PyPREP's order of criteria.
fn order(flag: &str) -> usize {
    [
        "nan",
        "flat",
        "deviation",
        "hf_noise",
        "correlation",
        "SNR",
        "dropout",
    ]
    .iter()
    .position(|f| *f == flag)
    .unwrap_or(99)
}

/// Why PyPREP's PSD criterion flagged a channel: the bands above z = 3 and
/// the 1/f violation.
fn psd_reason(channel: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(z) = channel["psd_band_z"].as_array() {
        for (band, z) in BANDS.iter().zip(z) {
            if let Some(z) = z.as_f64().filter(|&z| z > 3.0) {
                parts.push(format!("{band} z={z:.1}"));
            }
        }
    }
    if channel["psd_1f_violation"].as_bool() == Some(true) {
        parts.push("1/f violation".to_string());
    }
    parts.join("; ")
}
