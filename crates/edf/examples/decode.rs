//! Decodes every data signal of each file to physical f32 (µV for voltage channels) and
//! times it, for benchmarks:
//!
//! ```text
//! cargo run --release -p edf --example decode -- (--whole | --stream) [--block-seconds S]
//!     [--label NAME] FILE...
//! ```
//!
//! - `--whole`: each signal of a file is decoded into its own buffer, and all of a file's
//!   buffers are held until the file is done (like a preloading reader).
//! - `--stream`: blocks of whole data records, about `--block-seconds` (default 1) of all
//!   signals at a time, are decoded into one reused buffer.
//!
//! Prints one line `RESULT {json}`: `seconds` covers opening each file, decoding it,
//! checksumming the decoded values and releasing the file and its buffers, for all files
//! in turn (process start and argument parsing excluded). `bytes` is the sum of the file
//! sizes, `samples` the number of decoded channel-samples. `checksum` is the wrapping sum
//! of the bit patterns of all decoded values, so it is the same in both modes. One thread.
//!
//! On Linux the line also holds `rss_anon_max_kb` and `rss_file_max_kb`: the largest
//! anonymous (heap) and file-backed (mapped file) resident sizes, sampled from
//! `/proc/self/status` after each file is decoded, outside the timed part.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use edf::Edf;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Whole,
    Stream,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Whole => "whole",
            Mode::Stream => "stream",
        }
    }
}

struct Args {
    mode: Mode,
    block_seconds: f64,
    label: String,
    files: Vec<String>,
}

const USAGE: &str = "usage: decode (--whole | --stream) [--block-seconds S] [--label NAME] FILE...";

fn parse_args() -> Result<Args, String> {
    let mut mode = None;
    let mut block_seconds: f64 = 1.0;
    let mut label = String::from("-");
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--whole" => mode = Some(Mode::Whole),
            "--stream" => mode = Some(Mode::Stream),
            "--block-seconds" => {
                let v = args.next().ok_or("--block-seconds needs a value")?;
                block_seconds = v
                    .parse()
                    .map_err(|_| format!("bad --block-seconds {v:?}"))?;
                if !block_seconds.is_finite() || block_seconds <= 0.0 {
                    return Err("--block-seconds must be a positive number".into());
                }
            }
            "--label" => label = args.next().ok_or("--label needs a value")?,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => files.push(a),
        }
    }
    let mode = mode.ok_or_else(|| format!("give --whole or --stream\n{USAGE}"))?;
    if files.is_empty() {
        return Err(format!("no files given\n{USAGE}"));
    }
    Ok(Args {
        mode,
        block_seconds,
        label,
        files,
    })
}

/// Wrapping sum of the bit patterns: exact, independent of order and of how the values
/// were split into buffers.
fn checksum(values: &[f32]) -> u64 {
    values
        .iter()
        .fold(0u64, |acc, v| acc.wrapping_add(u64::from(v.to_bits())))
}

/// Decodes each data signal into its own buffer; returns the buffers, the samples and the
/// checksum.
fn decode_whole(edf: &Edf) -> Result<(Vec<Vec<f32>>, u64, u64), edf::Error> {
    let mut buffers = Vec::new();
    let (mut samples, mut sum) = (0u64, 0u64);
    for signal in edf.header().data_signals() {
        let mut buf = vec![0.0f32; edf.samples(signal) as usize];
        edf.read_physical(signal, 0, &mut buf)?;
        sum = sum.wrapping_add(checksum(&buf));
        samples += buf.len() as u64;
        buffers.push(buf);
    }
    Ok((buffers, samples, sum))
}

/// Decodes blocks of `block_records` records of all data signals into `buf` (signal-major
/// within a block); returns the samples and the checksum.
fn decode_stream(
    edf: &Edf,
    block_records: u64,
    buf: &mut Vec<f32>,
) -> Result<(u64, u64), edf::Error> {
    let h = edf.header();
    let signals: Vec<(usize, u64)> = h
        .data_signals()
        .map(|s| (s, h.signals[s].samples_per_record as u64))
        .collect();
    let per_record: u64 = signals.iter().map(|&(_, spr)| spr).sum();
    let needed = (per_record * block_records) as usize;
    if buf.len() < needed {
        buf.resize(needed, 0.0);
    }
    let (mut samples, mut sum) = (0u64, 0u64);
    let mut record = 0;
    while record < edf.records() {
        let n = block_records.min(edf.records() - record);
        let mut at = 0;
        for &(signal, spr) in &signals {
            let len = (spr * n) as usize;
            let out = &mut buf[at..at + len];
            edf.read_physical(signal, record * spr, out)?;
            at += len;
        }
        sum = sum.wrapping_add(checksum(&buf[..at]));
        samples += at as u64;
        // Keep resident memory bounded by the block, not the file.
        edf.release_records(record, record + n);
        record += n;
    }
    Ok((samples, sum))
}

/// Anonymous and file-backed resident sizes in kB, from `/proc/self/status` (Linux).
fn resident_kb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("RssAnon:")?, field("RssFile:")?))
}

fn run(args: &Args) -> Result<(), String> {
    let mut elapsed = Duration::ZERO;
    let (mut bytes, mut samples, mut sum) = (0u64, 0u64, 0u64);
    let mut rss_max: Option<(u64, u64)> = None;
    let mut stream_buf = Vec::new();
    for path in &args.files {
        bytes += std::fs::metadata(path)
            .map_err(|e| format!("{path}: {e}"))?
            .len();
        let t = Instant::now();
        let edf = Edf::open(path).map_err(|e| e.to_string())?;
        let (buffers, n, s) = match args.mode {
            Mode::Whole => decode_whole(&edf),
            Mode::Stream => {
                let d = edf.header().record_duration_s;
                let block = if d > 0.0 {
                    (args.block_seconds / d).round().max(1.0)
                } else {
                    1.0
                };
                decode_stream(&edf, block as u64, &mut stream_buf).map(|(n, s)| (vec![], n, s))
            }
        }
        .map_err(|e| e.to_string())?;
        elapsed += t.elapsed();
        // Sampled while the file is still mapped and its buffers still held.
        if let Some((anon, file)) = resident_kb() {
            let (a, f) = rss_max.unwrap_or((0, 0));
            rss_max = Some((a.max(anon), f.max(file)));
        }
        let t = Instant::now();
        drop(buffers);
        drop(edf);
        elapsed += t.elapsed();
        samples += n;
        sum = sum.wrapping_add(s);
    }
    let mut result = serde_json::json!({
        "task": format!("decode-{}", args.mode.name()),
        "data": args.label,
        "seconds": elapsed.as_secs_f64(),
        "bytes": bytes,
        "samples": samples,
        "checksum": sum,
        "threads": 1,
        "files": args.files.len(),
        "block_seconds": (args.mode == Mode::Stream).then_some(args.block_seconds),
    });
    if let Some((anon, file)) = rss_max {
        result["rss_anon_max_kb"] = anon.into();
        result["rss_file_max_kb"] = file.into();
    }
    println!("RESULT {result}");
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decode: {e}");
            ExitCode::FAILURE
        }
    }
}
