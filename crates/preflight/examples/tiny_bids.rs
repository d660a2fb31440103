//! Writes the small BIDS dataset bundled in `examples/tiny-bids` (2 subjects,
//! one oddball run each, 4 EEG channels at 128 Hz for 20 s), so that
//! `preflight inspect` has something to show on a fresh checkout:
//!
//! `cargo run -p preflight --example tiny_bids -- examples/tiny-bids`

use std::io::BufWriter;
use std::path::Path;

use edf::{FileSpec, Format, SignalSpec, StartTime, Writer};

const CHANNELS: [&str; 4] = ["Fz", "Cz", "Pz", "Oz"];
const SFREQ: usize = 128;
const SECONDS: u64 = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).ok_or("usage: tiny_bids OUT_DIR")?;
    let root = Path::new(&root);
    std::fs::create_dir_all(root)?;
    std::fs::write(
        root.join("dataset_description.json"),
        "{\n  \"Name\": \"preflight tiny example\",\n  \"BIDSVersion\": \"1.9.0\",\n  \
         \"DatasetType\": \"raw\"\n}\n",
    )?;
    std::fs::write(
        root.join("participants.tsv"),
        "participant_id\tage\tsex\nsub-01\t27\tF\nsub-02\t34\tM\n",
    )?;

    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for (s, sub) in ["01", "02"].iter().enumerate() {
        let dir = root.join(format!("sub-{sub}/eeg"));
        std::fs::create_dir_all(&dir)?;
        let stem = format!("sub-{sub}_task-oddball_run-1");

        // Signal: 10 Hz alpha (stronger at the back) plus uniform noise.
        let start = StartTime {
            year: 2024,
            month: 3,
            day: 1 + s as u8,
            hour: 10,
            minute: 0,
            second: 0,
        };
        let mut spec = FileSpec::new(Format::Edf, true, start, 1.0);
        spec.records = SECONDS;
        spec.signals = CHANNELS
            .iter()
            .map(|c| SignalSpec::new(c, "uV", -500.0, 500.0, Format::Edf, SFREQ))
            .collect();
        let file = std::fs::File::create(dir.join(format!("{stem}_eeg.edf")))?;
        let mut w = Writer::new(BufWriter::new(file), &spec, &[])?;
        for r in 0..SECONDS as usize {
            let record: Vec<Vec<f64>> = (0..CHANNELS.len())
                .map(|c| {
                    (0..SFREQ)
                        .map(|k| {
                            let t = (r * SFREQ + k) as f64 / SFREQ as f64;
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                            (5.0 + 5.0 * c as f64) * (2.0 * std::f64::consts::PI * 10.0 * t).sin()
                                + 20.0 * noise
                        })
                        .collect()
                })
                .collect();
            w.write_record(&record)?;
        }
        w.finish()?;

        // One event every 2 s; every fourth is a target.
        let mut events = String::from("onset\tduration\ttrial_type\n");
        for k in 0..9 {
            let kind = if k % 4 == 1 { "target" } else { "standard" };
            events.push_str(&format!("{}.0\t0\t{kind}\n", 1 + 2 * k));
        }
        std::fs::write(dir.join(format!("{stem}_events.tsv")), events)?;
        let mut channels = String::from("name\ttype\tunits\tstatus\n");
        for c in CHANNELS {
            channels.push_str(&format!("{c}\tEEG\tuV\tgood\n"));
        }
        std::fs::write(dir.join(format!("{stem}_channels.tsv")), channels)?;
    }
    Ok(())
}
