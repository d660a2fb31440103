//! `preflight scan`: every channel of every recording measured, a
//! one-screen summary of the worst channels, and the JSON report.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use preflight::measure::prep::PrepConfig;
use preflight::scan::{self, ChannelSummary, RecordingSummary, ScanConfig, ScanReport, Shard};

use crate::cli::ScanArgs;
use crate::output::write_atomic;
use crate::Outcome;

/// Lines of each list of the summary.
const WORST: usize = 5;

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> Result<Outcome> {
    let shard = match &args.shard {
        Some(s) => Some(s.parse::<Shard>()?),
        None => None,
    };
    let config = ScanConfig {
        shard,
        prep: args.prep.then(PrepConfig::default),
        ..ScanConfig::default()
    };
    let clock = std::time::Instant::now();
    let dataset = super::inspect::load(&args.dataset)?;
    tracing::info!("dataset opened: {:.3} s", clock.elapsed().as_secs_f64());

    // Progress in channel-samples, on stderr, hidden off a terminal.
    let total = scan::samples_to_scan(&dataset, &config);
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {percent:>3}% {human_pos}/{human_len} samples, ETA \
                {eta}",
        )
        .context("progress bar template")?
        .progress_chars("=> ");
        bar.with_style(style)
    } else {
        ProgressBar::hidden()
    };
    let report = {
        let work = || scan::scan(&dataset, &config, &|n| bar.inc(n));
        match args.threads {
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .with_context(|| format!("cannot start {n} threads (--threads)"))?
                .install(work)?,
            None => work()?,
        }
    };
    bar.finish_and_clear();
    tracing::info!("scanned: {:.3} s", clock.elapsed().as_secs_f64());

    let outcome = finish(&report, args.output.as_deref(), args.json);
    tracing::info!("report written: {:.3} s", clock.elapsed().as_secs_f64());
    // The process ends next: its memory goes back whole, without freeing
    // the summaries one allocation at a time.
    std::mem::forget(report);
    outcome
}

/// Writes the report to `output` (if any) and prints it or its summary.
pub fn finish(
    report: &ScanReport,
    output: Option<&std::path::Path>,
    json: bool,
) -> Result<Outcome> {
    if let Some(path) = output {
        write_atomic(path, |w| {
            report
                .write_json(w)
                .and_then(|()| writeln!(w))
                .with_context(|| format!("cannot write {}", path.display()))
        })?;
    }
    if json {
        // Unlocked: the report's batches are written from the thread pool.
        let mut out = std::io::BufWriter::new(std::io::stdout());
        report
            .write_json(&mut out)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush())
            .context("cannot write to stdout")?;
    } else {
        let mut out = std::io::stdout().lock();
        write!(out, "{}", summary(report)).context("cannot write to stdout")?;
    }
    Ok(if report.unreadable.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// One channel of one recording, for the lists.
struct Row<'a> {
    recording: &'a RecordingSummary,
    channel: &'a ChannelSummary,
}

impl Row<'_> {
    fn name(&self) -> String {
        format!("{} {}", self.recording.path.display(), self.channel.name)
    }
}

/// The one-screen summary.
pub fn summary(report: &ScanReport) -> String {
    let mut s = String::new();
    let d = &report.dataset;
    let rows: Vec<Row> = report
        .recordings
        .iter()
        .flat_map(|r| {
            r.channels.iter().map(move |c| Row {
                recording: r,
                channel: c,
            })
        })
        .collect();
    let shards = if report.shards.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = report.shards.iter().map(ToString::to_string).collect();
        format!(", shard {}", list.join(" "))
    };
    let _ = writeln!(s, "{}  (scan{shards})", report.root.display());
    let samples: u64 = d.channels.iter().map(|c| c.samples).sum();
    let _ = writeln!(
        s,
        "  read        {} recordings of {} subjects, {} channel-samples, {} recorded, {}",
        d.recordings,
        report.subjects.len(),
        samples,
        super::inspect::human_duration(d.duration_s),
        super::inspect::human_bytes(d.bytes)
    );
    let detected: u64 = d.mains_votes.votes().iter().map(|(_, n)| n).sum();
    let mains = match d.mains_hz {
        Some(f) => format!(
            "{f} Hz, detected in {detected} of {} recordings",
            d.recordings
        ),
        None => "none detected on any recording's channel-mean spectrum".to_string(),
    };
    let _ = writeln!(s, "  mains       {mains}");
    // Recordings whose line is not where their BIDS sidecar says.
    let declared: Vec<(&str, f64, f64)> = report
        .recordings
        .iter()
        .filter_map(|r| {
            let (said, hz) = r.contradicted_mains()?;
            Some((r.path.to_str().unwrap_or("?"), said, hz))
        })
        .collect();
    if let Some((first, said, hz)) = declared.first() {
        let more = match declared.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let _ = writeln!(
            s,
            "  declared    {first}{more}: line at {hz} Hz, sidecar PowerLineFrequency {said} Hz"
        );
    }

    // Line noise at the dataset's mains (any candidate when none).
    let threshold = 10f64.powf(report.settings.line_noise.threshold_db / 10.0);
    let mut line: Vec<(&Row, f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let w = r.channel.worst_line_ratio(d.mains_hz)?;
            (w.ratio >= threshold).then_some((r, w.freq_hz, w.ratio))
        })
        .collect();
    line.sort_by(|a, b| b.2.total_cmp(&a.2));
    section(
        &mut s,
        "line noise (power at the line over its flanks; above 4 dB)",
        line.len(),
        line.iter().map(|(r, f, ratio)| {
            format!(
                "{:<44} {f:>5} Hz  {:>6.1} dB",
                r.name(),
                10.0 * ratio.log10()
            )
        }),
    );

    // Flat channels: flat one-second windows, or runs of a second or more.
    let mut flat: Vec<&Row> = rows
        .iter()
        .filter(|r| r.channel.flat.flat_windows > 0 || r.channel.longest_flat_s >= 1.0)
        .collect();
    flat.sort_by(|a, b| {
        b.channel
            .longest_flat_s
            .total_cmp(&a.channel.longest_flat_s)
    });
    section(
        &mut s,
        "flat (share of 1 s windows without change; longest run)",
        flat.len(),
        flat.iter().map(|r| {
            let share = 100.0 * r.channel.flat_fraction.unwrap_or(0.0);
            format!(
                "{:<44} {share:>5.1}%  longest {:.1} s",
                r.name(),
                r.channel.longest_flat_s
            )
        }),
    );

    // Clipping at the digital limits.
    let mut clipped: Vec<&Row> = rows
        .iter()
        .filter(|r| r.channel.clipped_fraction.unwrap_or(0.0) > 0.0)
        .collect();
    clipped.sort_by(|a, b| {
        let f = |r: &Row| r.channel.clipped_fraction.unwrap_or(0.0);
        f(b).total_cmp(&f(a))
    });
    section(
        &mut s,
        "clipped (samples at the digital limits)",
        clipped.len(),
        clipped.iter().map(|r| {
            let share = 100.0 * r.channel.clipped_fraction.unwrap_or(0.0);
            format!("{:<44} {share:>6.2}%", r.name())
        }),
    );

    // NaN and Inf (NumPy-like inputs; EDF cannot hold them).
    let mut bad: Vec<&Row> = rows
        .iter()
        .filter(|r| r.channel.moments.nan_count() + r.channel.moments.inf_count() > 0)
        .collect();
    bad.sort_by_key(|r| std::cmp::Reverse(r.channel.moments.nan_count()));
    section(
        &mut s,
        "NaN or Inf samples",
        bad.len(),
        bad.iter().map(|r| {
            let m = &r.channel.moments;
            format!(
                "{:<44} {} NaN, {} Inf",
                r.name(),
                m.nan_count(),
                m.inf_count()
            )
        }),
    );

    // PyPREP's criteria, when judged.
    if report.settings.prep.is_some() {
        let judged = report
            .recordings
            .iter()
            .filter(|r| r.prep.is_some())
            .count();
        let bad: Vec<String> = report
            .recordings
            .iter()
            .filter_map(|r| Some((r, r.prep.as_ref()?)))
            .flat_map(|(r, p)| {
                p.bad().map(move |(channel, reasons)| {
                    let name = format!("{} {channel}", r.path.display());
                    format!("{name:<44} {}", reasons.join(", "))
                })
            })
            .collect();
        section(
            &mut s,
            &format!(
                "bad by PyPREP's criteria (EEG channels of {judged} of {} recordings; no RANSAC, \
                 no PSD criterion)",
                report.recordings.len()
            ),
            bad.len(),
            bad.into_iter(),
        );
    }

    // Amplitude extremes: the largest excursions from zero.
    let peak = |r: &Row| {
        let c = r.channel;
        c.max.unwrap_or(0.0).abs().max(c.min.unwrap_or(0.0).abs())
    };
    let mut extremes: Vec<&Row> = rows.iter().collect();
    extremes.sort_by(|a, b| peak(b).total_cmp(&peak(a)));
    let _ = writeln!(s, "\n  largest amplitudes");
    for r in extremes.iter().take(WORST) {
        let c = r.channel;
        let _ = writeln!(
            s,
            "    {:<44} |x| up to {:>9.1} {}, std {:>8.1}, median {:>8.1}",
            r.name(),
            peak(r),
            c.unit,
            c.std.unwrap_or(0.0),
            c.median.unwrap_or(0.0)
        );
    }

    section(
        &mut s,
        "unreadable",
        report.unreadable.len(),
        report
            .unreadable
            .iter()
            .map(|u| format!("{}: {}", u.path.display(), u.reason)),
    );
    s
}

/// A titled list of at most [`WORST`] lines, or "none".
fn section(s: &mut String, title: &str, total: usize, items: impl Iterator<Item = String>) {
    let _ = write!(s, "\n  {title}");
    if total == 0 {
        let _ = writeln!(s, ": none");
        return;
    }
    let _ = writeln!(s, ": {total}");
    for item in items.take(WORST) {
        let _ = writeln!(s, "    {item}");
    }
    if total > WORST {
        let _ = writeln!(s, "    … {} more (-o OUT.json has all)", total - WORST);
    }
}
