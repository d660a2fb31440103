//! Writes a few small EDF/BDF files with known content, for checking that
//! other readers (MNE, pyedflib) read what `edf::Writer` writes:
//!
//! ```text
//! cargo run -p edf --example write_demo -- OUT_DIR
//! ```
//!
//! Writes `edf_plus_c.edf` (EDF+C, four 256 Hz channels, one of them in mV,
//! and one 128 Hz channel; three annotations), `edf_plain.edf`,
//! `bdf_plus_c.bdf` and `bdf_plain.bdf`, each with a JSON file beside it
//! (`<name>.json`) that says what was written: labels, units, sampling
//! rates, the first 16 physical values of every channel as given to the
//! writer, the sine each channel holds, and the annotations. The output is
//! the same on every run.

use std::f64::consts::TAU;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use edf::{Annotation, FileSpec, Format, SignalSpec, StartTime, Writer};
use serde_json::{json, Value};

/// A channel holding `offset + amplitude * sin(2π * frequency * t + phase)`.
struct Channel {
    label: &'static str,
    unit: &'static str,
    physical_min: f64,
    physical_max: f64,
    sfreq_hz: usize,
    amplitude: f64,
    frequency_hz: f64,
    phase: f64,
    offset: f64,
}

impl Channel {
    fn value(&self, t: f64) -> f64 {
        self.offset + self.amplitude * (TAU * self.frequency_hz * t + self.phase).sin()
    }
}

/// A file to write.
struct Demo {
    name: &'static str,
    format: Format,
    plus: bool,
    record_duration_s: f64,
    records: u64,
    channels: Vec<Channel>,
    annotations: Vec<Annotation>,
}

fn start() -> StartTime {
    StartTime {
        year: 2021,
        month: 6,
        day: 15,
        hour: 13,
        minute: 45,
        second: 30,
    }
}

#[allow(clippy::too_many_arguments)]
fn channel(
    label: &'static str,
    unit: &'static str,
    range: f64,
    sfreq_hz: usize,
    amplitude: f64,
    frequency_hz: f64,
    phase: f64,
    offset: f64,
) -> Channel {
    Channel {
        label,
        unit,
        physical_min: -range,
        physical_max: range,
        sfreq_hz,
        amplitude,
        frequency_hz,
        phase,
        offset,
    }
}

fn annotation(onset_s: f64, duration_s: Option<f64>, text: &str) -> Annotation {
    Annotation {
        onset_s,
        duration_s,
        text: text.to_string(),
    }
}

fn demos() -> Vec<Demo> {
    vec![
        Demo {
            name: "edf_plus_c.edf",
            format: Format::Edf,
            plus: true,
            record_duration_s: 1.0,
            records: 10,
            channels: vec![
                channel("Fp1", "uV", 200.0, 256, 50.0, 10.0, 0.0, 0.0),
                channel("Fp2", "uV", 200.0, 256, 80.0, 7.0, 0.5, 10.0),
                channel("Cz", "uV", 500.0, 256, 120.5, 13.0, 1.0, -20.0),
                channel("ECG", "mV", 5.0, 256, 1.5, 1.2, 0.25, 0.2),
                channel("Resp", "uV", 1000.0, 128, 400.0, 0.3, 0.0, 0.0),
            ],
            annotations: vec![
                annotation(1.5, Some(2.25), "eyes closed"),
                annotation(4.125, None, "Schlafstadium Ä — 仰卧"),
                annotation(9.5, None, "end"),
            ],
        },
        Demo {
            name: "edf_plain.edf",
            format: Format::Edf,
            plus: false,
            record_duration_s: 2.0,
            records: 5,
            channels: vec![
                channel("O1", "uV", 300.0, 100, 100.0, 11.0, 0.0, 0.0),
                channel("O2", "uV", 300.0, 100, 90.0, 9.5, 1.5, 5.0),
                channel("EMG", "mV", 2.0, 100, 0.75, 20.0, 0.0, 0.0),
            ],
            annotations: Vec::new(),
        },
        Demo {
            name: "bdf_plus_c.bdf",
            format: Format::Bdf,
            plus: true,
            record_duration_s: 1.0,
            records: 4,
            channels: vec![
                channel("A1", "uV", 2000.0, 512, 500.0, 10.0, 0.0, 0.0),
                channel("A2", "uV", 2000.0, 512, 250.0, 50.0, 0.75, -100.0),
                channel("EXG1", "mV", 10.0, 512, 3.0, 2.0, 0.0, 1.0),
            ],
            annotations: vec![
                annotation(0.25, Some(0.5), "stimulus"),
                annotation(2.75, None, "Ωmega µ-rhythm"),
            ],
        },
        Demo {
            name: "bdf_plain.bdf",
            format: Format::Bdf,
            plus: false,
            record_duration_s: 1.0,
            records: 5,
            channels: vec![
                channel("Fz", "uV", 8000.0, 256, 3000.0, 5.0, 0.0, 0.0),
                channel("Pz", "uV", 8000.0, 256, 1500.0, 17.0, 2.0, -250.0),
            ],
            annotations: Vec::new(),
        },
    ]
}

/// Writes one file and returns the JSON describing it.
fn write(demo: &Demo, dir: &Path) -> Result<Value, Box<dyn std::error::Error>> {
    let mut spec = FileSpec::new(demo.format, demo.plus, start(), demo.record_duration_s);
    spec.records = demo.records;
    for c in &demo.channels {
        let per_record = c.sfreq_hz as f64 * demo.record_duration_s;
        spec.signals.push(SignalSpec::new(
            c.label,
            c.unit,
            c.physical_min,
            c.physical_max,
            demo.format,
            per_record as usize,
        ));
    }

    let path = dir.join(demo.name);
    let out = BufWriter::new(File::create(&path)?);
    let mut writer = Writer::new(out, &spec, &demo.annotations)?;
    let mut first: Vec<Vec<f64>> = vec![Vec::new(); demo.channels.len()];
    for record in 0..demo.records {
        let mut values = Vec::with_capacity(demo.channels.len());
        for (c, (channel, s)) in demo.channels.iter().zip(&spec.signals).enumerate() {
            let n = s.samples_per_record;
            let v: Vec<f64> = (0..n)
                .map(|i| {
                    let index = record as usize * n + i;
                    channel.value(index as f64 / channel.sfreq_hz as f64)
                })
                .collect();
            let missing = 16usize.saturating_sub(first[c].len());
            first[c].extend(v.iter().take(missing));
            values.push(v);
        }
        writer.write_record(&values)?;
    }
    writer.finish()?;

    let channels: Vec<Value> = demo
        .channels
        .iter()
        .zip(&spec.signals)
        .zip(&first)
        .map(|((c, s), first)| {
            json!({
                "label": c.label,
                "unit": c.unit,
                "sfreq_hz": c.sfreq_hz,
                "n_samples": s.samples_per_record as u64 * demo.records,
                "physical_min": s.physical_min,
                "physical_max": s.physical_max,
                "digital_min": s.digital_min,
                "digital_max": s.digital_max,
                "first_values": first,
                "sine": {
                    "offset": c.offset,
                    "amplitude": c.amplitude,
                    "frequency_hz": c.frequency_hz,
                    "phase": c.phase,
                },
            })
        })
        .collect();
    let annotations: Vec<Value> = demo
        .annotations
        .iter()
        .map(|a| json!({"onset_s": a.onset_s, "duration_s": a.duration_s, "text": a.text}))
        .collect();
    let s = spec.start;
    Ok(json!({
        "file": demo.name,
        "format": match demo.format {
            Format::Edf => "EDF",
            Format::Bdf => "BDF",
        },
        "plus": demo.plus,
        "start": format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            s.year, s.month, s.day, s.hour, s.minute, s.second
        ),
        "record_duration_s": demo.record_duration_s,
        "records": demo.records,
        "channels": channels,
        "annotations": annotations,
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_demo OUT_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir)?;
    for demo in demos() {
        let description = write(&demo, &dir)?;
        let json_path = dir.join(format!("{}.json", demo.name));
        std::fs::write(
            &json_path,
            serde_json::to_string_pretty(&description)? + "\n",
        )?;
        println!("{}", dir.join(demo.name).display());
    }
    Ok(())
}
