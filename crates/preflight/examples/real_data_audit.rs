//! Audits each folder of the shared real recordings and prints a markdown
//! table of what was found, for docs/real-data.md:
//!
//! ```text
//! cargo run --release -p preflight --example real_data_audit -- ../shared/data > docs/real-data.md
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};

/// Folders audited, with what `SOURCES.md` says is wrong with them.
const FOLDERS: [(&str, &str); 8] = [
    (
        "eegmmidb_S001",
        "60 Hz mains (BCI2000, New York); ratio 10-31 on the worst channel of \
        each run",
    ),
    (
        "eegmmidb_S001_corrupted",
        "damaged bytes: refused by MNE and pyedflib",
    ),
    (
        "eegUtils-testdata",
        "raw reference-free BioSemi: 50 Hz on every EEG channel, DC offsets \
        of hundreds of µV",
    ),
    (
        "mne-testing-data/BDF",
        "ECG flat and on a rail; acc1-3 flat; large offsets; 50 Hz up to 64",
    ),
    (
        "mne-testing-data/EDF",
        "POL $A1/$A2 on the rails; test_reduced.edf: many channels on the \
        rails; 60 Hz huge on POL channels",
    ),
    (
        "mne-testing-data/NihonKohden",
        "EDF+D export; very strong 50 Hz (20,000 on EEG F8-Ref)",
    ),
    (
        "edfio-testdata",
        "mixed rates (100 Hz, 1 Hz), annotations-only files; Temp rectal flat",
    ),
    (
        "EDF.jl-testdata",
        "evt.bdf: one flat 1 Hz event channel; test_uneven_samp.edf: 0.2 Hz block \
        wave (flat column), file size not the header's; no events in three files",
    ),
];

/// Channels `SOURCES.md` lists as flat (its rule: peak-to-peak 0, or a std
/// under 1e-3 of the file's median channel std, whatever the units) that
/// the audit does not flag, with the reason; the example measures each
/// from its samples.
const NOT_FLAT: [(&str, &str, &str); 5] = [
    (
        "mne-testing-data/BDF/multiple_annotation_chans.bdf",
        "acc1",
        "an accelerometer at rest, in g beside EEG in µV: quantized, not constant",
    ),
    (
        "mne-testing-data/BDF/multiple_annotation_chans.bdf",
        "acc2",
        "as acc1",
    ),
    (
        "mne-testing-data/BDF/multiple_annotation_chans.bdf",
        "acc3",
        "as acc1",
    ),
    (
        "edfio-testdata/tests/TEST_DATA/short_psg.edf",
        "Temp rectal",
        "a temperature in °C at 1 Hz: slow drift, not constant",
    ),
    (
        "edfio-testdata/tests/TEST_DATA/short_psg.bdf",
        "Temp rectal",
        "as in short_psg.edf",
    ),
];

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The audit on real recordings\n\n\
         `preflight audit` with its defaults on each folder of the shared test recordings \
         (see their SOURCES.md), made with\n\n\
         ```sh\ncargo run --release -p preflight --example real_data_audit -- \
         ../shared/data > docs/real-data.md\n```\n\n\
         `crates/preflight/tests/audit_real.rs` asserts the main results.\n\n\
         | folder | known problems (SOURCES.md) | unreadable | findings (cause: channels) \
         | mains per recording | notes |\n\
         |---|---|---:|---|---|---|"
    );
    for (folder, known) in FOLDERS {
        let dataset = match discover(&root.join(folder), &DiscoverConfig::default()) {
            Ok(d) => d,
            Err(e) => {
                let _ = writeln!(out, "| {folder} | {known} | - | not a dataset: {e} | | |");
                continue;
            }
        };
        let report = audit(&dataset, &AuditConfig::default(), &|_, _| {});
        let mut by_cause: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for f in &report.findings {
            by_cause
                .entry(f.cause.name().to_string())
                .or_default()
                .push(format!("{} ({})", f.channel, f.recording));
        }
        let findings: Vec<String> = by_cause
            .into_iter()
            .map(|(cause, mut channels)| {
                let n = channels.len();
                channels.truncate(4);
                let more = if n > 4 {
                    format!(", {} more", n - 4)
                } else {
                    String::new()
                };
                format!("**{cause}** ×{n}: {}{more}", channels.join(", "))
            })
            .collect();
        let mains: Vec<String> = report
            .line_noise
            .iter()
            .filter_map(|r| {
                let hz = r.mains_hz?;
                let worst = r
                    .worst
                    .as_ref()
                    .map(|(c, db)| format!(", worst {c} {db:.1} dB"))
                    .unwrap_or_default();
                Some(format!(
                    "{}: {hz:.0} Hz on {}/{}{worst}",
                    r.recording, r.channels_with_line, r.channels
                ))
            })
            .take(4)
            .collect();
        let more_mains = report
            .line_noise
            .iter()
            .filter(|r| r.mains_hz.is_some())
            .count()
            .saturating_sub(mains.len());
        let notes: Vec<&str> = report.notes.iter().map(|n| n.kind.as_str()).collect();
        let _ = writeln!(
            out,
            "| {folder} | {known} | {} | {} | {}{} | {} |",
            dataset.unreadable.len(),
            if findings.is_empty() {
                "none".to_string()
            } else {
                findings.join("; ")
            },
            mains.join("; "),
            if more_mains > 0 {
                format!("; {more_mains} more")
            } else {
                String::new()
            },
            notes.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\ntest_generator_2.edf and test_utf8_annotations.edf are EDFlib's synthetic test \
         signals: noiseless sines and a square wave whose every 1 s window is constant. On a \
         noiseless sine the flanks of a mains line hold rounding noise only, so the 4th \
         harmonic of the 15 Hz sine (60 Hz) stands far over them: `mains` is the rule's \
         verdict, which no recorded signal would meet without a line."
    );
    not_flat(&root, &mut out);
    print!("{out}");
}

/// The table of [`NOT_FLAT`]: each channel's samples, distinct values and
/// longest constant stretch, decoded whole.
fn not_flat(root: &std::path::Path, out: &mut String) {
    let _ = writeln!(
        out,
        "\n## Channels SOURCES.md calls flat that the audit does not flag\n\n\
         SOURCES.md calls a channel flat when its std is under 1e-3 of the file's median \
         channel std, comparing channels of different units; these vary:\n\n\
         | file | channel | rate (Hz) | samples | distinct values | longest constant stretch (s) \
         | why it is not flat |\n|---|---|---:|---:|---:|---:|---|"
    );
    for (file, channel, why) in NOT_FLAT {
        let path = root.join(file);
        let Ok(edf) = edf::Edf::open(&path) else {
            let _ = writeln!(out, "| {file} | {channel} | | | | | not readable here |");
            continue;
        };
        let Some(k) = edf.header().signals.iter().position(|s| s.label == channel) else {
            let _ = writeln!(out, "| {file} | {channel} | | | | | no such channel |");
            continue;
        };
        let Some(rate) = edf.header().sfreq_hz(k) else {
            continue;
        };
        let Ok(x) = edf.read_signal::<f32>(k) else {
            continue;
        };
        let mut bits: Vec<u32> = x.iter().map(|v| v.to_bits()).collect();
        bits.sort_unstable();
        bits.dedup();
        let (mut longest, mut run) = (1usize, 1usize);
        for pair in x.windows(2) {
            run = if pair[0] == pair[1] { run + 1 } else { 1 };
            longest = longest.max(run);
        }
        let _ = writeln!(
            out,
            "| {file} | {channel} | {rate} | {} | {} | {:.1} | {why} |",
            x.len(),
            bits.len(),
            longest as f64 / rate
        );
    }
}
