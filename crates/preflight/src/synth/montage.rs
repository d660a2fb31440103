//! Electrode names and positions of the 10-10 system, for the synthetic
//! signal's spatial structure.
//!
//! Layouts are BioSemi's 32- and 64-channel caps (standard 10-10 labels);
//! up to 19 channels take the first N of the 10-20 system in the order of
//! [`TEN_TWENTY`] (midline and parietal first, so that small caps still
//! cover the head and hold Cz and Pz); other counts take the first N labels
//! of the 64-channel list, and counts above 64 add `EEG065`, ... at random
//! positions.
//!
//! Positions are computed from the label, not looked up: the row letters
//! give an anterior–posterior angle from Cz in steps of 18° (Fp 72°, AF 54°,
//! F 36°, FC 18°, C 0°, CP −18°, P −36°, PO −54°, O −72°, I −90°), as the
//! 10-20 system places rows at 10% steps of the nasion–inion arc; the
//! number gives a lateral angle of 9° × (n + 1) (odd left, even right, `z`
//! midline), so that C1, C3, C5, T7 sit at 18°, 36°, 54°, 72°. That is close
//! enough to real caps for neighbouring channels to correlate as in EEG; it
//! is not a substitute for a digitised montage.

/// BioSemi 64-channel layout.
pub const BIOSEMI64: [&str; 64] = [
    "Fp1", "AF7", "AF3", "F1", "F3", "F5", "F7", "FT7", "FC5", "FC3", "FC1", "C1", "C3", "C5",
    "T7", "TP7", "CP5", "CP3", "CP1", "P1", "P3", "P5", "P7", "P9", "PO7", "PO3", "O1", "Iz", "Oz",
    "POz", "Pz", "CPz", "Fpz", "Fp2", "AF8", "AF4", "AFz", "Fz", "F2", "F4", "F6", "F8", "FT8",
    "FC6", "FC4", "FC2", "FCz", "Cz", "C2", "C4", "C6", "T8", "TP8", "CP6", "CP4", "CP2", "P2",
    "P4", "P6", "P8", "P10", "PO8", "PO4", "O2",
];

/// BioSemi 32-channel layout.
pub const BIOSEMI32: [&str; 32] = [
    "Fp1", "AF3", "F7", "F3", "FC1", "FC5", "T7", "C3", "CP1", "CP5", "P7", "P3", "Pz", "PO3",
    "O1", "Oz", "O2", "PO4", "P4", "P8", "CP6", "CP2", "C4", "T8", "FC6", "FC2", "F4", "F8", "AF4",
    "Fp2", "Fz", "Cz",
];

/// The 19 electrodes of the 10-20 system, midline and parietal first.
pub const TEN_TWENTY: [&str; 19] = [
    "Fz", "Cz", "Pz", "C3", "C4", "P3", "P4", "Fp1", "Fp2", "O1", "O2", "F3", "F4", "F7", "F8",
    "T7", "T8", "P7", "P8",
];

/// The labels of an `n`-channel cap.
pub fn channel_names(n: usize) -> Vec<String> {
    match n {
        n if n <= TEN_TWENTY.len() => TEN_TWENTY[..n].iter().map(|s| s.to_string()).collect(),
        32 => BIOSEMI32.iter().map(|s| s.to_string()).collect(),
        n if n <= 64 => BIOSEMI64[..n].iter().map(|s| s.to_string()).collect(),
        n => BIOSEMI64
            .iter()
            .map(|s| s.to_string())
            .chain((65..=n).map(|i| format!("EEG{i:03}")))
            .collect(),
    }
}

/// Unit-sphere position of a 10-10 label: x to the right, y to the front,
/// z up. `None` for labels outside the system.
///
/// ```
/// use preflight::synth::montage::position;
/// let cz = position("Cz").expect("10-10 label");
/// assert!((cz[2] - 1.0).abs() < 1e-12);
/// let t7 = position("T7").expect("10-10 label");
/// assert!(t7[0] < -0.9); // far left
/// ```
pub fn position(label: &str) -> Option<[f64; 3]> {
    let split = label.find(|c: char| c.is_ascii_digit() || c == 'z' || c == 'Z')?;
    let (row, col) = label.split_at(split);
    let anterior_deg = match row.to_ascii_uppercase().as_str() {
        "FP" => 72.0,
        "AF" => 54.0,
        "F" => 36.0,
        "FC" | "FT" => 18.0,
        "C" | "T" => 0.0,
        "CP" | "TP" => -18.0,
        "P" => -36.0,
        "PO" => -54.0,
        "O" => -72.0,
        "I" => -90.0,
        _ => return None,
    };
    let lateral_deg = if col.eq_ignore_ascii_case("z") {
        0.0
    } else {
        let n: u32 = col.parse().ok()?;
        let side = if n % 2 == 1 { -1.0 } else { 1.0 };
        side * 9.0 * f64::from(n + 1)
    };
    let (a, l) = (f64::to_radians(anterior_deg), f64::to_radians(lateral_deg));
    Some([l.sin(), l.cos() * a.sin(), l.cos() * a.cos()])
}

/// Squared chord distance between two unit-sphere points.
pub fn distance2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (0..3).map(|k| (a[k] - b[k]).powi(2)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_label_has_a_position_and_neighbours_are_close() {
        for l in BIOSEMI64 {
            assert!(position(l).is_some(), "{l}");
        }
        let d = |a: &str, b: &str| distance2(&position(a).expect("a"), &position(b).expect("b"));
        assert!(d("C3", "C1") < d("C3", "C4"));
        assert!(d("Pz", "POz") < d("Pz", "Fz"));
        assert_eq!(channel_names(32).len(), 32);
        assert_eq!(channel_names(3), ["Fz", "Cz", "Pz"]);
        for l in TEN_TWENTY {
            assert!(BIOSEMI64.contains(&l), "{l}");
        }
        assert_eq!(channel_names(70)[69], "EEG070");
    }
}
