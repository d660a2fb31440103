//! Physical dimensions: voltage prefixes and the scale to microvolts.
//!
//! EDF stores a free-text "physical dimension" per signal. Voltage channels
//! are reported by this crate in microvolts whatever prefix the file uses, so
//! that EEG from different amplifiers lands on one scale; every other unit is
//! kept as the header spells it.

/// The unit of a signal's physical values as this crate reports them.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// A voltage; values are reported in microvolts. Holds the factor from
    /// the header's unit to microvolts (1e-3 for nV, 1 for µV, 1e3 for mV,
    /// 1e6 for V).
    Voltage {
        /// Multiply a value in the header's unit by this to get µV.
        to_microvolts: f64,
    },
    /// Any other unit (or none); values are reported in it unchanged.
    Other(String),
}

impl Unit {
    /// Interprets a physical-dimension field.
    ///
    /// Recognised voltages, case-insensitive except for the prefix letter
    /// `m`/`M` (both read as milli, as no EEG amplifier reports megavolts):
    /// `nV`, `uV`, `µV` (micro sign or Greek mu), `mV`, `V`.
    ///
    /// ```
    /// use edf::Unit;
    /// assert_eq!(Unit::parse("uV"), Unit::Voltage { to_microvolts: 1.0 });
    /// assert_eq!(Unit::parse("mV "), Unit::Voltage { to_microvolts: 1000.0 });
    /// assert_eq!(Unit::parse("µV"), Unit::Voltage { to_microvolts: 1.0 });
    /// assert_eq!(Unit::parse("%"), Unit::Other("%".to_string()));
    /// ```
    pub fn parse(dimension: &str) -> Unit {
        let d = dimension.trim();
        let mut chars = d.chars();
        let (prefix, rest) = match (chars.next(), chars.as_str()) {
            (Some(p), r) if !r.is_empty() => (Some(p), r),
            (Some(_), _) => (None, d),
            (None, _) => return Unit::Other(String::new()),
        };
        if !rest.eq_ignore_ascii_case("v") {
            return Unit::Other(d.to_string());
        }
        let to_microvolts = match prefix {
            None => 1e6,
            Some('n' | 'N') => 1e-3,
            Some('u' | 'U' | 'µ' | 'μ') => 1.0,
            Some('m' | 'M') => 1e3,
            Some(_) => return Unit::Other(d.to_string()),
        };
        Unit::Voltage { to_microvolts }
    }

    /// The unit's name as reported: `uV` for voltages, else the header text.
    pub fn name(&self) -> &str {
        match self {
            Unit::Voltage { .. } => "uV",
            Unit::Other(s) => s,
        }
    }

    /// Factor from the header's unit to the reported unit.
    pub fn scale(&self) -> f64 {
        match self {
            Unit::Voltage { to_microvolts } => *to_microvolts,
            Unit::Other(_) => 1.0,
        }
    }

    /// Whether this is a voltage.
    pub fn is_voltage(&self) -> bool {
        matches!(self, Unit::Voltage { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voltage_prefixes_scale_to_microvolts() {
        assert_eq!(Unit::parse("V").scale(), 1e6);
        assert_eq!(Unit::parse("nV").scale(), 1e-3);
        assert_eq!(Unit::parse("UV").scale(), 1.0);
        assert_eq!(Unit::parse("μV").scale(), 1.0);
        assert_eq!(Unit::parse("mv").scale(), 1e3);
    }

    #[test]
    fn other_units_are_kept_verbatim() {
        assert_eq!(Unit::parse("degC").name(), "degC");
        assert_eq!(Unit::parse("kV"), Unit::Other("kV".into()));
        assert_eq!(Unit::parse(""), Unit::Other(String::new()));
        assert!(!Unit::parse("Boolean").is_voltage());
    }
}
