//! The audit as one self-contained HTML page.
//!
//! [`render`] turns an [`Audit`] into a single HTML string: inline CSS,
//! inline SVG charts drawn with [`super::svg`], no script, no font, image
//! or style from elsewhere, so the file opens offline and can be mailed.
//! Its sections, in order: what was found and what to do; class balance;
//! where the outliers are; one card per finding; per-channel amplitude
//! histograms; spectra of flagged channels around the mains lines; the
//! normalization table; the sample's allocation table; the settings.
//! Every piece of text from the data (paths, channel names, labels) is
//! escaped.
//!
//! The page only draws what the audit aggregated ([`crate::audit::figures`]),
//! so its size grows with channels and recordings, not with samples: the
//! histograms shown are capped at [`MAX_HISTOGRAMS`] channels (flagged
//! ones first) and the map has one small cell per recording.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::svg::{escape, linear_ticks, log_ticks, tick_label, Chart, Scale};
use crate::audit::figures::{ChannelHistograms, MainsSpectrum, RecordingOutliers};
use crate::audit::plan::ExcludeLevel;
use crate::audit::{Audit, SCHEMA};
use crate::measure::histogram::{bin_edges_uv, AmplitudeHistogram};
use crate::sample::SampleSize;

/// Channels given an amplitude histogram: every flagged channel up to
/// this many, then clean ones to fill [`CLEAN_HISTOGRAMS`].
pub const MAX_HISTOGRAMS: usize = 24;
/// Clean channels shown beside the flagged ones, for comparison.
pub const CLEAN_HISTOGRAMS: usize = 4;
/// Finding cards shown; the rest are counted.
pub const MAX_CARDS: usize = 200;

/// The ids of the sections, in page order.
pub const SECTIONS: [&str; 9] = [
    "summary",
    "balance",
    "outliers",
    "findings",
    "histograms",
    "spectra",
    "normalization",
    "allocation",
    "settings",
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;color:#111;background:#fff;\
max-width:1220px;margin:0 auto;padding:16px 24px;line-height:1.4}\
h1{font-size:1.6em}h2{border-bottom:2px solid #333;padding-bottom:2px;margin-top:1.6em}\
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #999;padding:2px 6px;\
text-align:right}th{background:#eee}td.l,th.l{text-align:left}\
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #555;border-left:6px solid #111;\
padding:6px 10px;width:360px;font-size:.9em}.card h3{margin:2px 0 4px;font-size:1em}\
.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}figcaption{font-size:.8em;color:#333;\
max-width:560px}svg text{font-size:11px;font-family:system-ui,sans-serif;fill:#111}\
svg text.title{font-size:13px;font-weight:bold}.bad{font-weight:bold}\
.note{background:#f3f3f3;border-left:4px solid #666;padding:4px 8px}";

/// The report of `audit` as one HTML document.
pub fn render(audit: &Audit) -> String {
    let mut page = String::with_capacity(256 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>preflight audit: {}</title><style>{STYLE}</style></head><body>",
        escape(&audit.dataset.root)
    );
    let _ = write!(
        page,
        "<h1>preflight audit of <code>{}</code></h1>",
        escape(&audit.dataset.root)
    );
    summary(&mut page, audit);
    balance(&mut page, audit);
    outlier_map(&mut page, &audit.figures.recordings);
    findings(&mut page, audit);
    histograms(&mut page, audit);
    spectra(&mut page, &audit.figures.spectra);
    normalization(&mut page, audit);
    allocation(&mut page, audit);
    settings(&mut page, audit);
    page.push_str("</body></html>\n");
    page
}

fn open_section(page: &mut String, id: &str, title: &str) {
    let _ = write!(page, "<section id=\"{id}\"><h2>{}</h2>", escape(title));
}

/// Three significant digits, `n/a` when undefined.
fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x == 0.0 {
                "0".to_string()
            } else if x.abs() >= 1e5 || x.abs() < 1e-3 {
                format!("{x:.2e}")
            } else {
                let digits = (2 - x.abs().log10().floor() as i32).clamp(0, 4) as usize;
                format!("{x:.digits$}")
            }
        }
        _ => "n/a".to_string(),
    }
}

/// A share as a percentage, with two decimals below 1%.
fn pct(share: f64) -> String {
    if share > 0.0 && share < 0.01 {
        format!("{:.2}%", 100.0 * share)
    } else {
        format!("{:.1}%", 100.0 * share)
    }
}

/// What was found and what to do.
fn summary(page: &mut String, audit: &Audit) {
    open_section(page, "summary", "What was found, and what to do");
    let d = &audit.dataset;
    let s = &audit.sample;
    let _ = write!(
        page,
        "<p>{} subjects, {} recordings, {} windows of {:.2} s; {} windows measured \
         ({} sampled), {:.1} MB read of {:.1} MB.</p>",
        d.subjects,
        d.recordings,
        d.windows,
        d.window_s,
        s.measured,
        s.sampled,
        s.bytes_read as f64 / 1e6,
        d.bytes as f64 / 1e6
    );
    page.push_str("<ul>");
    if audit.findings.is_empty() {
        page.push_str("<li>No recording or channel has a problem to exclude.</li>");
    } else {
        let recordings: std::collections::BTreeSet<&str> = audit
            .findings
            .iter()
            .map(|f| f.recording.as_str())
            .collect();
        let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &audit.findings {
            *causes.entry(f.cause.describe()).or_insert(0) += 1;
        }
        let causes: Vec<String> = causes
            .iter()
            .map(|(c, n)| format!("{n} × {}", escape(c)))
            .collect();
        let _ = write!(
            page,
            "<li class=\"bad\">{} problems in {} recordings: {}.</li>",
            audit.findings.len(),
            recordings.len(),
            causes.join("; ")
        );
    }
    let a = &audit.attribution;
    let _ = write!(page, "<li>{}", escape(&a.summary));
    let sentences: Vec<&str> = a
        .subjects
        .iter()
        .map(|c| c.sentence.as_str())
        .chain(a.clusters.iter().map(|c| c.sentence.as_str()))
        .collect();
    if !sentences.is_empty() {
        page.push_str("<ul>");
        for s in sentences.iter().take(12) {
            let _ = write!(page, "<li>{}</li>", escape(s));
        }
        if sentences.len() > 12 {
            let _ = write!(
                page,
                "<li>{} more in report.json</li>",
                sentences.len() - 12
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("</li>");
    if !d.unreadable.is_empty() {
        let _ = write!(
            page,
            "<li class=\"bad\">{} files could not be read.</li>",
            d.unreadable.len()
        );
    }
    page.push_str("</ul><p><b>What to do</b></p><ol>");
    let e = &audit.exclusions;
    if !e.is_empty() {
        let what = match e.level {
            ExcludeLevel::Recording => format!("{} recordings", e.recordings.len()),
            ExcludeLevel::Channel => format!("{} channels of recordings", e.channels.len()),
            ExcludeLevel::Window => format!("{} channel windows", e.windows.len()),
        };
        let _ = write!(
            page,
            "<li>Leave out {what} (listed in <code>exclusions.tsv</code>).</li>"
        );
    }
    let worst = audit
        .normalization
        .iter()
        .filter_map(|c| c.compression.map(|k| (k, c)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match worst {
        Some((k, c)) if k >= 2.0 => {
            let _ = write!(
                page,
                "<li>Normalize with the clean statistics of <code>normalization.json</code>: \
                 left in, the outliers inflate the standard deviation of {} {k:.0}×, and \
                 the clean signal would fill {} of the normalized range.</li>",
                escape(&c.channel),
                pct(c.clean_share.unwrap_or(0.0))
            );
        }
        _ => page.push_str(
            "<li>Normalize with the per-channel statistics of \
                <code>normalization.json</code>.</li>",
        ),
    }
    match (&audit.balance.warning, audit.balance.majority_baseline) {
        (Some(w), _) => {
            let _ = write!(page, "<li>{}</li>", escape(w));
        }
        (None, Some(b)) => {
            let _ = write!(
                page,
                "<li>Compare accuracy with the majority baseline, {}.</li>",
                pct(b)
            );
        }
        _ => {}
    }
    page.push_str("</ol>");
    for note in &audit.notes {
        let _ = write!(page, "<p class=\"note\">{}</p>", escape(&note.text));
    }
    page.push_str("</section>");
}

/// Class shares as bars, with the majority baseline as a dashed line.
fn balance(page: &mut String, audit: &Audit) {
    open_section(page, "balance", "Class balance");
    let b = &audit.balance;
    if b.classes.is_empty() {
        page.push_str("<p>No labelled windows.</p></section>");
        return;
    }
    let width = (120.0 + 90.0 * b.classes.len() as f64).clamp(360.0, 1100.0);
    let mut c = Chart::new(
        width,
        260.0,
        "Share of windows per class",
        "class",
        "share of windows (%)",
    );
    let y = Scale::linear((0.0, 100.0), (c.bottom, c.top));
    c.y_axis(&y, &linear_ticks(0.0, 100.0, 5), tick_label);
    let slot = (c.right - c.left) / b.classes.len() as f64;
    for (i, class) in b.classes.iter().enumerate() {
        let x = c.left + slot * (i as f64 + 0.2);
        let top = y.map(100.0 * class.share);
        let tip = format!(
            "{}: {} windows, {}",
            class.class,
            class.count,
            pct(class.share)
        );
        c.rect(x, top, slot * 0.6, c.bottom - top, "#777", &tip);
        c.text(x + slot * 0.3, top - 4.0, "middle", &pct(class.share));
        c.text(x + slot * 0.3, c.bottom + 16.0, "middle", &class.class);
    }
    let mut desc = format!(
        "Bars: share of the {} windows in each class ({}).",
        b.windows,
        b.classes
            .iter()
            .map(|k| format!("{} {}", k.class, pct(k.share)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(base) = b.majority_baseline {
        let yb = y.map(100.0 * base);
        let (l, r) = (c.left, c.right);
        c.line(&[(l, yb), (r, yb)], "#000", 1.5, Some("6 4"));
        c.text(
            r - 4.0,
            yb - 5.0,
            "end",
            &format!("majority baseline {}", pct(base)),
        );
        let _ = write!(
            desc,
            " Dashed line: the majority baseline, {}: the accuracy of always answering {}.",
            pct(base),
            b.majority_class.as_deref().unwrap_or("the largest class")
        );
    }
    c.describe(&desc);
    page.push_str(&c.finish("chart-balance"));
    page.push_str("</section>");
}

/// Grey level of a share of outlier windows: white for none, black for
/// all.
fn grey(share: f64) -> String {
    let v = (255.0 * (1.0 - share.clamp(0.0, 1.0))).round() as u8;
    format!("#{v:02x}{v:02x}{v:02x}")
}

/// The subject × recording map.
fn outlier_map(page: &mut String, recordings: &[RecordingOutliers]) {
    open_section(page, "outliers", "Where the outliers are");
    if recordings.is_empty() {
        page.push_str("<p>No windows were measured.</p></section>");
        return;
    }
    let mut by_subject: BTreeMap<&str, Vec<&RecordingOutliers>> = BTreeMap::new();
    for r in recordings {
        by_subject.entry(r.subject.as_str()).or_default().push(r);
    }
    let columns = by_subject.values().map(Vec::len).max().unwrap_or(1);
    let cell_w = (700.0 / columns as f64).clamp(6.0, 48.0);
    let cell_h = if by_subject.len() > 60 { 8.0 } else { 16.0 };
    let width = 62.0 + 14.0 + cell_w * columns as f64 + 150.0;
    let height = 30.0 + 42.0 + cell_h * by_subject.len() as f64;
    let mut c = Chart::new(
        width.max(360.0),
        height,
        "Share of outlier windows per recording",
        "recording of the subject (in path order)",
        "subject",
    );
    c.right = c.left + cell_w * columns as f64;
    let label_every = (by_subject.len() / 40).max(1);
    let mut worst: Option<(&RecordingOutliers, f64)> = None;
    for (row, (subject, recs)) in by_subject.iter().enumerate() {
        let y = c.top + cell_h * row as f64;
        if row % label_every == 0 {
            c.text(c.left - 4.0, y + cell_h * 0.75, "end", subject);
        }
        for (col, r) in recs.iter().enumerate() {
            let share = r.outlier_windows as f64 / r.measured.max(1) as f64;
            if worst.is_none_or(|(_, s)| share > s) {
                worst = Some((r, share));
            }
            let tip = format!(
                "{}: {} of {} measured windows with an outlier ({})",
                r.recording,
                r.outlier_windows,
                r.measured,
                pct(share)
            );
            let x = c.left + cell_w * col as f64;
            c.rect(x, y, cell_w, cell_h, &grey(share), &tip);
        }
    }
    for col in 0..columns {
        let x = c.left + cell_w * (col as f64 + 0.5);
        if columns <= 20 || col % 5 == 0 {
            c.text(x, c.bottom + 16.0, "middle", &(col + 1).to_string());
        }
    }
    // The legend: five grey steps.
    let lx = c.right + 20.0;
    c.text(lx, c.top + 8.0, "start", "outlier windows");
    for (i, share) in [0.0, 0.25, 0.5, 0.75, 1.0].iter().enumerate() {
        let y = c.top + 16.0 + 16.0 * i as f64;
        c.rect(lx, y, 14.0, 12.0, &grey(*share), &pct(*share));
        c.text(
            lx + 20.0,
            y + 10.0,
            "start",
            &format!("{:.0}%", 100.0 * share),
        );
    }
    c.bottom = c.top + cell_h * by_subject.len() as f64;
    let flagged = recordings.iter().filter(|r| r.outlier_windows > 0).count();
    let mut desc = format!(
        "One cell per recording, one row per subject ({} subjects, {} recordings); the \
         darker the cell, the larger its share of measured windows with at least one \
         outlier channel. {flagged} recordings hold any outlier window.",
        by_subject.len(),
        recordings.len()
    );
    if let Some((r, s)) = worst.filter(|(_, s)| *s > 0.0) {
        let _ = write!(desc, " The darkest: {} ({}).", r.recording, pct(s));
    }
    c.describe(&desc);
    page.push_str(&c.finish("chart-outliers"));
    page.push_str("</section>");
}

/// One card per finding.
fn findings(page: &mut String, audit: &Audit) {
    open_section(page, "findings", "Findings");
    if audit.findings.is_empty() {
        page.push_str("<p>No findings.</p></section>");
        return;
    }
    page.push_str("<div class=\"cards\">");
    let e = &audit.exclusions;
    for f in audit.findings.iter().take(MAX_CARDS) {
        let ev = &f.evidence;
        let _ = write!(
            page,
            "<div class=\"card\"><h3>{} in {}</h3><p><b>Cause:</b> {}</p><p><b>Evidence:</b> \
             outlier in {} of {} measured windows (p = {})",
            escape(&f.channel),
            escape(&f.recording),
            escape(f.cause.describe()),
            f.windows_flagged,
            f.windows_measured,
            num(Some(f.p_value))
        );
        if let (Some(s), Some(c)) = (ev.std_uv, ev.channel_std_uv) {
            let _ = write!(
                page,
                "; std {} µV against the channel's usual {} µV",
                num(Some(s)),
                num(Some(c))
            );
        }
        if let Some(m) = ev.mean_uv {
            let _ = write!(page, "; mean {} µV", num(Some(m)));
        }
        if let (Some(hz), Some(r)) = (ev.line_hz, ev.line_ratio) {
            let _ = write!(
                page,
                "; {hz:.0} Hz line {:.0} dB over its flanks",
                10.0 * r.max(f64::MIN_POSITIVE).log10()
            );
        }
        if let Some((a, b)) = f.extent_s {
            let _ = write!(page, "; from {a:.0} s to {b:.0} s");
        }
        let reasons: Vec<String> = ev
            .reasons
            .iter()
            .map(|(k, n)| format!("{} {n}", escape(k)))
            .collect();
        if !reasons.is_empty() {
            let _ = write!(page, "; windows by reason: {}", reasons.join(", "));
        }
        let exclusion = match e.level {
            ExcludeLevel::Recording if e.recordings.contains(&f.recording) => {
                format!(
                    "the whole recording {} (--exclude recording)",
                    escape(&f.recording)
                )
            }
            ExcludeLevel::Channel => format!(
                "channel {} of this recording (--exclude channel)",
                escape(&f.channel)
            ),
            ExcludeLevel::Window => {
                let n = e
                    .windows
                    .iter()
                    .filter(|w| w.recording == f.recording && w.channel == f.channel)
                    .count();
                format!(
                    "{n} windows of {} in this recording (--exclude window)",
                    escape(&f.channel)
                )
            }
            ExcludeLevel::Recording => "nothing".to_string(),
        };
        let _ = write!(
            page,
            ".</p><p><b>Leads to excluding:</b> {exclusion}.</p></div>"
        );
    }
    page.push_str("</div>");
    if audit.findings.len() > MAX_CARDS {
        let _ = write!(
            page,
            "<p>{} more findings are in report.json.</p>",
            audit.findings.len() - MAX_CARDS
        );
    }
    page.push_str("</section>");
}

/// Share of a histogram's binned samples in each bin.
fn shares(h: &AmplitudeHistogram) -> Vec<f64> {
    let total: u64 = h.counts().iter().sum();
    h.counts()
        .iter()
        .map(|&n| n as f64 / total.max(1) as f64)
        .collect()
}

/// Per-channel amplitude histograms: channels with findings first, then
/// those with the most flagged samples, then a few clean ones.
fn histograms(page: &mut String, audit: &Audit) {
    open_section(page, "histograms", "Amplitude histograms per channel");
    let channels = &audit.figures.histograms;
    let with_finding: std::collections::BTreeSet<&str> =
        audit.findings.iter().map(|f| f.channel.as_str()).collect();
    let mut flagged: Vec<&ChannelHistograms> =
        channels.iter().filter(|c| c.flagged.total() > 0).collect();
    flagged.sort_by_key(|c| {
        (
            !with_finding.contains(c.channel.as_str()),
            std::cmp::Reverse(c.flagged.total()),
        )
    });
    let clean: Vec<&ChannelHistograms> = channels
        .iter()
        .filter(|c| c.flagged.total() == 0 && c.clean.total() > 0)
        .collect();
    let mut shown: Vec<&ChannelHistograms> = flagged.iter().copied().take(MAX_HISTOGRAMS).collect();
    let room = MAX_HISTOGRAMS
        .saturating_sub(shown.len())
        .min(CLEAN_HISTOGRAMS);
    shown.extend(clean.iter().copied().take(room));
    if shown.is_empty() {
        page.push_str("<p>No samples were measured.</p></section>");
        return;
    }
    let _ = write!(
        page,
        "<p>|amplitude| of the sampled windows on log bins (10 per decade, 1 nV to 1 V). \
         Grey area: the clean windows; black dashed line: the flagged windows (outlier \
         cells and channels with a finding in their recording). {} of {} channels shown: \
         channels with findings first, then those with the most flagged samples, up to \
         {MAX_HISTOGRAMS}, and clean ones for comparison.</p>\
         <div class=\"grid\">",
        shown.len(),
        channels.len()
    );
    // One x range for all, from the lowest to the highest bin with data.
    let edges = bin_edges_uv();
    let mut lo = usize::MAX;
    let mut hi = 0;
    for c in &shown {
        for h in [&c.clean, &c.flagged] {
            for (k, &n) in h.counts().iter().enumerate() {
                if n > 0 {
                    lo = lo.min(k);
                    hi = hi.max(k + 1);
                }
            }
        }
    }
    if lo >= hi {
        (lo, hi) = (0, edges.len() - 1);
    }
    let (x0, x1) = (edges[lo], edges[hi]);
    for (i, ch) in shown.iter().enumerate() {
        let (a, b) = (shares(&ch.clean), shares(&ch.flagged));
        let top = a.iter().chain(&b).fold(0.0f64, |m, &v| m.max(v)).max(1e-9);
        let mut c = Chart::new(
            290.0,
            200.0,
            &ch.channel,
            "|amplitude| (µV, log scale)",
            "share of samples (%)",
        );
        let x = Scale::log((x0, x1), (c.left, c.right));
        let y = Scale::linear((0.0, 100.0 * top), (c.bottom, c.top));
        let decades = ((x1 / x0).log10() / 4.0).ceil().max(1.0) as usize;
        c.x_axis(&x, &log_ticks(x0, x1, decades), tick_label);
        c.y_axis(&y, &linear_ticks(0.0, 100.0 * top, 4), tick_label);
        let step = |s: &[f64]| -> Vec<(f64, f64)> {
            let mut p = vec![(x.map(edges[lo]), c.bottom)];
            for k in lo..hi {
                let yv = y.map(100.0 * s[k]);
                p.push((x.map(edges[k]), yv));
                p.push((x.map(edges[k + 1]), yv));
            }
            p.push((x.map(edges[hi]), c.bottom));
            p
        };
        if ch.clean.total() > 0 {
            let pts = step(&a);
            let mut d = String::new();
            for (j, (px, py)) in pts.iter().enumerate() {
                let _ = write!(d, "{}{px:.1},{py:.1}", if j == 0 { "M" } else { " L" });
            }
            let _ = write!(
                c.body,
                r##"<path class="series" d="{d} Z" fill="#bbb" stroke="#888" stroke-width="1"/>"##
            );
        }
        if ch.flagged.total() > 0 {
            c.line(&step(&b), "#000", 1.6, Some("5 3"));
        }
        c.legend(c.left + 8.0, c.top + 8.0, "#999", 6.0, None, "clean");
        if ch.flagged.total() > 0 {
            c.legend(
                c.left + 8.0,
                c.top + 22.0,
                "#000",
                1.6,
                Some("5 3"),
                "flagged",
            );
        }
        let mode = |s: &[f64]| {
            s.iter()
                .enumerate()
                .max_by(|p, q| p.1.total_cmp(q.1))
                .map(|(k, _)| (edges[k] * edges[k + 1]).sqrt())
        };
        let mut desc = format!(
            "Histogram of |amplitude| of {}: {} clean samples, most near {} µV",
            ch.channel,
            ch.clean.total(),
            num(mode(&a).filter(|_| ch.clean.total() > 0))
        );
        if ch.flagged.total() > 0 {
            let _ = write!(
                desc,
                "; {} flagged samples, most near {} µV",
                ch.flagged.total(),
                num(mode(&b))
            );
        }
        let extra = ch.clean.nan() + ch.flagged.nan() + ch.clean.zero() + ch.flagged.zero();
        if extra > 0 {
            let _ = write!(desc, "; {extra} samples NaN or exactly zero (not drawn)");
        }
        desc.push('.');
        c.describe(&desc);
        page.push_str(&c.finish(&format!("chart-hist-{i}")));
    }
    page.push_str("</div></section>");
}

/// Spectra of flagged channels around the mains harmonics.
fn spectra(page: &mut String, spectra: &[MainsSpectrum]) {
    open_section(
        page,
        "spectra",
        "Power spectra of flagged channels near the mains frequency",
    );
    if spectra.is_empty() {
        page.push_str("<p>No flagged channel has a spectrum.</p></section>");
        return;
    }
    let _ = write!(
        page,
        "<p>Average power spectral density of the flagged channels in the recordings of \
         their findings (black line) against the same channel in the other recordings \
         (grey dashed line), ±{} Hz around the line their findings name (else the \
         dataset's mains frequency) and its harmonics below Nyquist.</p><div class=\"grid\">",
        crate::audit::figures::BAND_HALF_WIDTH_HZ
    );
    let mut n = 0;
    for s in spectra {
        for band in &s.bands {
            let values = band.flagged.iter().chain(&band.clean).filter(|v| **v > 0.0);
            let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
            if !(lo.is_finite() && hi > 0.0) || band.freq_hz.is_empty() {
                continue;
            }
            let (lo, hi) = (
                10f64.powf(lo.log10().floor()),
                10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
            );
            let f0 = band.freq_hz[0];
            let f1 = band.freq_hz[band.freq_hz.len() - 1];
            let mut c = Chart::new(
                290.0,
                210.0,
                &format!("{} around {:.0} Hz", s.channel, band.harmonic_hz),
                "frequency (Hz)",
                "PSD (µV²/Hz, log)",
            );
            let x = Scale::linear((f0, f1), (c.left, c.right));
            let y = Scale::log((lo, hi), (c.bottom, c.top));
            c.x_axis(&x, &linear_ticks(f0, f1, 4), tick_label);
            let decades = ((hi / lo).log10() / 5.0).ceil().max(1.0) as usize;
            c.y_axis(&y, &log_ticks(lo, hi, decades), tick_label);
            let pts = |v: &[f64]| -> Vec<(f64, f64)> {
                band.freq_hz
                    .iter()
                    .zip(v)
                    .map(|(&f, &p)| (x.map(f), y.map(p.max(lo))))
                    .collect()
            };
            if !band.clean.is_empty() {
                c.line(&pts(&band.clean), "#777", 1.6, Some("5 3"));
            }
            c.line(&pts(&band.flagged), "#000", 1.6, None);
            c.legend(c.left + 8.0, c.top + 8.0, "#000", 1.6, None, "flagged");
            if !band.clean.is_empty() {
                c.legend(
                    c.left + 8.0,
                    c.top + 22.0,
                    "#777",
                    1.6,
                    Some("5 3"),
                    "clean reference",
                );
            }
            let at = |v: &[f64]| {
                band.freq_hz
                    .iter()
                    .zip(v)
                    .min_by(|a, b| {
                        (a.0 - band.harmonic_hz)
                            .abs()
                            .total_cmp(&(b.0 - band.harmonic_hz).abs())
                    })
                    .map(|(_, &p)| p)
            };
            let mut desc = format!(
                "Power spectral density of {} from {f0:.0} to {f1:.0} Hz: at {:.0} Hz the \
                 flagged windows ({}) reach {} µV²/Hz",
                s.channel,
                band.harmonic_hz,
                s.flagged_windows,
                num(at(&band.flagged))
            );
            if !band.clean.is_empty() {
                let _ = write!(
                    desc,
                    ", the clean reference ({} windows) {} µV²/Hz",
                    s.clean_windows,
                    num(at(&band.clean))
                );
            }
            desc.push('.');
            c.describe(&desc);
            page.push_str(&c.finish(&format!("chart-spectrum-{n}")));
            n += 1;
        }
    }
    page.push_str("</div></section>");
}

/// The normalization table.
fn normalization(page: &mut String, audit: &Audit) {
    open_section(page, "normalization", "Normalization");
    page.push_str(
        "<p>Per-channel statistics of the clean samples (what <code>normalization.json</code> \
         holds), and of all samples. Compression: how many times the outliers would inflate \
         the standard deviation if left in; clean share: the share of the normalized range \
         the clean signal would fill.</p><table><tr><th class=\"l\">channel</th>\
         <th>unit</th><th>mean</th><th>std</th><th>median</th><th>IQR</th><th>std of all</th>\
         <th>compression</th><th>clean share</th></tr>",
    );
    for c in &audit.normalization {
        let bad = c.compression.is_some_and(|k| k >= 2.0);
        let _ = write!(
            page,
            "<tr{}><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}×</td><td>{}</td></tr>",
            if bad { " class=\"bad\"" } else { "" },
            escape(&c.channel),
            escape(&c.unit),
            num(c.mean),
            num(c.std),
            num(c.median),
            num(c.iqr),
            num(c.std_all),
            num(c.compression),
            c.clean_share.map_or("n/a".to_string(), pct)
        );
    }
    page.push_str("</table></section>");
}

/// The sample's allocation table.
fn allocation(page: &mut String, audit: &Audit) {
    open_section(page, "allocation", "Sample allocation");
    let s = &audit.sample;
    let _ = write!(
        page,
        "<p>{} windows sampled of {} asked, stratified by subject × class; {} measured in \
         all with the confirmation of {} recordings.</p><table><tr><th class=\"l\">subject\
         </th><th class=\"l\">class</th><th>available</th><th>proportional share</th>\
         <th>sampled</th><th class=\"l\">allocation</th></tr>",
        s.sampled,
        s.requested,
        s.measured,
        s.confirmed_recordings.len()
    );
    for row in &s.strata {
        let how = serde_json::to_string(&row.allocation).unwrap_or_default();
        let _ = write!(
            page,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{:.2}</td>\
             <td>{}</td><td class=\"l\">{}</td></tr>",
            escape(&row.subject),
            escape(&row.class),
            row.available,
            row.share,
            row.sampled,
            escape(how.trim_matches('"'))
        );
    }
    page.push_str("</table></section>");
}

/// The settings used.
fn settings(page: &mut String, audit: &Audit) {
    open_section(page, "settings", "Settings");
    let st = &audit.settings;
    let size = match st.sample_size {
        SampleSize::Fraction(f) => format!("a fraction of {f} of the windows"),
        SampleSize::Count(n) => format!("{n} windows"),
        SampleSize::Full => "every window".to_string(),
    };
    let d = &st.detect;
    let mains: Vec<String> = st.line.mains_hz.iter().map(|h| format!("{h} Hz")).collect();
    let rows = [
        ("windows", st.windows.clone()),
        ("sample", size),
        (
            "floors",
            format!(
                "{} per recording, {} per subject × class",
                st.min_per_recording, st.min_per_stratum
            ),
        ),
        ("seed", st.seed.to_string()),
        (
            "robust z thresholds",
            format!(
                "amplitude {}, offset {}, line noise {}, high frequency {}",
                d.amplitude_z, d.offset_z, d.line_z, d.hf_z
            ),
        ),
        ("clipping share", d.clip_share.to_string()),
        (
            "significance",
            format!(
                "findings α = {}, attribution α = {} (Bonferroni)",
                st.finding.alpha, st.attribute.alpha
            ),
        ),
        (
            "mains candidates",
            format!("{} ({} dB rule)", mains.join(", "), st.line.threshold_db),
        ),
        ("exclusion level", st.exclude.to_string()),
        ("report schema", SCHEMA.to_string()),
    ];
    page.push_str("<table>");
    for (k, v) in rows {
        let _ = write!(
            page,
            "<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>",
            escape(k),
            escape(&v)
        );
    }
    page.push_str("</table></section>");
}
