//! Channel types guessed from EDF labels, when no `channels.tsv` says.

/// BIDS channel type for an EDF label and its unit.
///
/// Rules, in order: a type prefix (`EEG Fp1`, `EOG L`, `ECG`, `EKG`, `EMG`,
/// `SEEG`, `ECOG`); trigger and status channels (`Status`, `Trigger`,
/// `STI 014`); any other voltage channel is `EEG`; everything else is
/// `MISC`. Nihon Kohden `POL` channels are `MISC`, as MNE types them.
///
/// ```
/// use preflight::dataset::channel_type_from_label;
/// assert_eq!(channel_type_from_label("EEG Fp1-Ref", true), "EEG");
/// assert_eq!(channel_type_from_label("Fp1", true), "EEG");
/// assert_eq!(channel_type_from_label("EKG", true), "ECG");
/// assert_eq!(channel_type_from_label("Status", false), "TRIG");
/// assert_eq!(channel_type_from_label("SaO2", false), "MISC");
/// ```
pub fn channel_type_from_label(label: &str, is_voltage: bool) -> &'static str {
    let upper = label.trim().to_ascii_uppercase();
    let first = upper.split([' ', '-', '_']).next().unwrap_or("");
    match first {
        "EEG" => return "EEG",
        "EOG" | "HEOG" | "VEOG" => return "EOG",
        "ECG" | "EKG" => return "ECG",
        "EMG" => return "EMG",
        "SEEG" => return "SEEG",
        "ECOG" => return "ECOG",
        "POL" => return "MISC",
        "STATUS" | "TRIGGER" | "STI" | "STIM" => return "TRIG",
        _ => {}
    }
    if upper.starts_with("EOG") {
        return "EOG";
    }
    if upper.starts_with("ECG") || upper.starts_with("EKG") {
        return "ECG";
    }
    if upper.starts_with("EMG") {
        return "EMG";
    }
    if is_voltage {
        "EEG"
    } else {
        "MISC"
    }
}
