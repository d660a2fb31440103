//! Reading one EDF/BDF recording's header and annotations into a
//! [`Recording`].

use std::path::Path;

use edf::{Edf, Format, Variant};

use super::{channel_type_from_label, Channel, Event, EventsSource, GapSpan, Recording};

/// Opens an EDF/BDF file and describes it. BIDS entities and subject are
/// left empty for the caller to fill; events come from EDF+ annotations.
///
/// # Errors
///
/// The reader's error when the file is invalid.
pub fn open_recording(path: &Path, relative: &Path) -> Result<Recording, edf::Error> {
    let file = Edf::open(path)?;
    Ok(describe(&file, relative))
}

/// As [`open_recording`], but with [`Edf::open_lazily`] when `lazily`:
/// for recordings whose events come from a sidecar, so that their
/// annotations are not needed. The records of an EDF+C file between the
/// first and the last are then checked when they are read
/// ([`crate::read`]), not here.
pub(crate) fn open_recording_with(
    path: &Path,
    relative: &Path,
    lazily: bool,
) -> Result<Recording, edf::Error> {
    let file = if lazily {
        Edf::open_lazily(path)?
    } else {
        Edf::open(path)?
    };
    Ok(describe(&file, relative))
}

/// Describes an open file.
pub(crate) fn describe(file: &Edf, relative: &Path) -> Recording {
    let h = file.header();
    let format = format_name(h.format, h.variant);
    let channels = h
        .data_signals()
        .map(|i| {
            let s = &h.signals[i];
            let unit = s.unit();
            Channel {
                signal: i,
                name: s.label.clone(),
                kind: channel_type_from_label(&s.label, unit.is_voltage()).to_string(),
                sfreq_hz: h.sfreq_hz(i).unwrap_or(0.0),
                unit: unit.name().to_string(),
                status: None,
                status_description: None,
            }
        })
        .collect();
    let events: Vec<Event> = file
        .annotations()
        .iter()
        .map(|a| Event {
            onset_s: a.onset_s,
            duration_s: a.duration_s.unwrap_or(0.0),
            label: a.text.clone(),
        })
        .collect();
    let events_source = if events.is_empty() {
        EventsSource::None
    } else {
        EventsSource::Annotations
    };
    let gaps: Vec<GapSpan> = file
        .gaps()
        .iter()
        .map(|g| GapSpan {
            start_s: g.start_s,
            duration_s: g.duration_s,
        })
        .collect();
    Recording {
        path: relative.to_path_buf(),
        subject: String::new(),
        session: None,
        task: None,
        acquisition: None,
        run: None,
        format,
        channels,
        duration_s: file.duration_s(),
        gaps_s: gaps.iter().map(|g| g.duration_s).sum(),
        gaps,
        bytes: std::fs::metadata(file.path()).map_or(0, |m| m.len()),
        events,
        events_source,
        warnings: file.warnings().iter().map(ToString::to_string).collect(),
        power_line_hz: None,
    }
}

fn format_name(format: Format, variant: Variant) -> String {
    let base = match format {
        Format::Edf => "EDF",
        Format::Bdf => "BDF",
    };
    let suffix = match variant {
        Variant::Plain => "",
        Variant::Continuous => "+C",
        Variant::Discontinuous => "+D",
    };
    format!("{base}{suffix}")
}
