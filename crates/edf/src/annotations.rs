//! EDF+ time-stamped annotation lists (TALs).
//!
//! An annotation signal stores, in each data record, a sequence of TALs:
//!
//! ```text
//! TAL   := sign onset [0x15 duration] 0x14 (text 0x14)* 0x00
//! sign  := '+' | '-'
//! ```
//!
//! padded with 0x00 to the signal's length. The first TAL of the first
//! annotation signal in every record is the time-keeping TAL: its first text
//! is empty and its onset is the record's start, in seconds after the
//! header's start date and time. Texts are UTF-8 (EDF+ 2.0).
//!
//! Parsing is strict about structure (signs, digits, terminators), because a
//! damaged file shows itself there first: a byte inserted into the data
//! shifts every later record, and the time-keeping TAL stops parsing.
//! Texts that are not valid UTF-8 are decoded lossily rather than refused.

/// One annotation: an event with an onset, an optional duration and a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Onset in seconds after the first sample of the recording.
    pub onset_s: f64,
    /// Duration in seconds, when the annotation has one.
    pub duration_s: Option<f64>,
    /// The annotation's text (UTF-8).
    pub text: String,
}

/// One parsed TAL: an onset, an optional duration and its texts (the empty
/// time-keeping text included).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tal {
    pub onset_s: f64,
    pub duration_s: Option<f64>,
    pub texts: Vec<String>,
}

/// Why a TAL could not be parsed, with the byte position within the
/// annotation signal's bytes of the record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TalError {
    pub position: usize,
    pub reason: String,
}

const DURATION_MARK: u8 = 0x15;
const TEXT_END: u8 = 0x14;

/// Parses all TALs in one record's bytes of one annotation signal.
pub(crate) fn parse_tals(bytes: &[u8]) -> Result<Vec<Tal>, TalError> {
    let mut tals = Vec::new();
    let mut pos = 0;
    loop {
        // Padding (and any empty space between TALs) is 0x00.
        while pos < bytes.len() && bytes[pos] == 0 {
            pos += 1;
        }
        if pos == bytes.len() {
            return Ok(tals);
        }
        let (tal, next) = parse_tal(bytes, pos)?;
        tals.push(tal);
        pos = next;
    }
}

/// Parses the TAL starting at `start`; returns it and the position after
/// its terminating 0x00.
fn parse_tal(bytes: &[u8], start: usize) -> Result<(Tal, usize), TalError> {
    let err = |position: usize, reason: String| TalError { position, reason };
    let byte = |pos: usize| -> Result<u8, TalError> {
        bytes.get(pos).copied().ok_or_else(|| {
            err(
                pos,
                "annotation runs past the end of the annotation signal".into(),
            )
        })
    };

    // Onset: a sign, then digits with an optional decimal point.
    let sign = byte(start)?;
    if sign != b'+' && sign != b'-' {
        return Err(err(
            start,
            format!("expected '+' or '-' starting an annotation onset, found byte 0x{sign:02x}"),
        ));
    }
    let onset_end = scan_number(bytes, start + 1);
    let onset_s = parse_number(&bytes[start..onset_end])
        .ok_or_else(|| err(start, "annotation onset is not a decimal number".into()))?;
    let mut pos = onset_end;

    // Optional duration.
    let mut duration_s = None;
    if byte(pos)? == DURATION_MARK {
        let end = scan_number(bytes, pos + 1);
        duration_s = Some(parse_number(&bytes[pos + 1..end]).ok_or_else(|| {
            err(
                pos + 1,
                "annotation duration is not a decimal number".into(),
            )
        })?);
        pos = end;
    }
    let after_number = byte(pos)?;
    if after_number != TEXT_END {
        return Err(err(
            pos,
            format!("expected 0x14 after the annotation onset, found byte 0x{after_number:02x}"),
        ));
    }
    pos += 1;

    // Texts, each ended by 0x14, until the TAL's closing 0x00.
    let mut texts = Vec::new();
    loop {
        if byte(pos)? == 0 {
            return Ok((
                Tal {
                    onset_s,
                    duration_s,
                    texts,
                },
                pos + 1,
            ));
        }
        // Nihon Kohden exports omit the 0x00 closing the time-keeping TAL,
        // so the next TAL follows its last 0x14 directly. A "text" that is
        // exactly a signed onset followed by 0x14 or 0x15 starts a new TAL.
        if !texts.is_empty() && starts_tal(bytes, pos) {
            return Ok((
                Tal {
                    onset_s,
                    duration_s,
                    texts,
                },
                pos,
            ));
        }
        let text_start = pos;
        while byte(pos)? != TEXT_END {
            if bytes[pos] == 0 {
                return Err(err(pos, "annotation text is not closed by 0x14".into()));
            }
            pos += 1;
        }
        texts.push(String::from_utf8_lossy(&bytes[text_start..pos]).into_owned());
        pos += 1;
    }
}

/// Whether a TAL (sign, onset, then 0x14 or 0x15) starts at `pos`.
fn starts_tal(bytes: &[u8], pos: usize) -> bool {
    if !matches!(bytes.get(pos), Some(b'+' | b'-')) {
        return false;
    }
    let end = scan_number(bytes, pos + 1);
    end > pos + 1
        && matches!(bytes.get(end), Some(&TEXT_END | &DURATION_MARK))
        && parse_number(&bytes[pos..end]).is_some()
}

/// End of the run of digits and decimal points starting at `pos`.
fn scan_number(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && (bytes[pos].is_ascii_digit() || bytes[pos] == b'.') {
        pos += 1;
    }
    pos
}

/// Parses a signed or unsigned decimal without exponent; `None` if empty or
/// malformed.
fn parse_number(raw: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(raw).ok()?;
    let digits = text.trim_start_matches(['+', '-']);
    if digits.is_empty() || !digits.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Formats one TAL as bytes (used by the writer).
pub(crate) fn format_tal(onset_s: f64, duration_s: Option<f64>, texts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    if onset_s >= 0.0 {
        out.push(b'+');
    }
    out.extend_from_slice(format!("{onset_s}").as_bytes());
    if let Some(d) = duration_s {
        out.push(DURATION_MARK);
        out.extend_from_slice(format!("{d}").as_bytes());
    }
    out.push(TEXT_END);
    for t in texts {
        out.extend_from_slice(t.as_bytes());
        out.push(TEXT_END);
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keeping_tal_and_annotations_parse() {
        let bytes = b"+0\x14\x14\0+1.5\x152\x14eyes closed\x14\0+30\x14seizure\x14\x14\0\0\0";
        let tals = parse_tals(bytes).expect("valid TALs");
        assert_eq!(tals.len(), 3);
        assert_eq!(tals[0].onset_s, 0.0);
        assert_eq!(tals[0].texts, vec![String::new()]);
        assert_eq!(tals[1].duration_s, Some(2.0));
        assert_eq!(tals[1].texts, vec!["eyes closed".to_string()]);
        assert_eq!(tals[2].texts, vec!["seizure".to_string(), String::new()]);
    }

    #[test]
    fn utf8_text_survives() {
        let bytes = "+2\x14仰卧\x14\0".as_bytes();
        let tals = parse_tals(bytes).expect("valid TAL");
        assert_eq!(tals[0].texts[0], "仰卧");
    }

    /// Nihon Kohden EDF+D exports (MB0400FU.EDF) omit the 0x00 after the
    /// time-keeping TAL; the next TAL's onset was read as a text.
    #[test]
    fn time_keeping_tal_without_terminator_is_split() {
        let bytes = b"+1\x14\x14+1.14\x14A1+A2 OFF\x14\0\0";
        let tals = parse_tals(bytes).expect("tolerated");
        assert_eq!(tals.len(), 2);
        assert_eq!(tals[0].texts, vec![String::new()]);
        assert_eq!(tals[1].onset_s, 1.14);
        assert_eq!(tals[1].texts, vec!["A1+A2 OFF".to_string()]);
    }

    #[test]
    fn shifted_bytes_are_refused() {
        // A carriage return inserted before the sign, as a text-mode copy does.
        let e = parse_tals(b"\r+0\x14\x14\0").expect_err("must fail");
        assert_eq!(e.position, 0);
        let e = parse_tals(b"+0\x14\x14").expect_err("unterminated");
        assert!(e.reason.contains("past the end"), "{}", e.reason);
        assert!(parse_tals(b"+\x14\x14\0").is_err());
        assert!(parse_tals(b"+1.2.3\x14\x14\0").is_err());
    }

    #[test]
    fn formatted_tal_parses_back() {
        let bytes = format_tal(12.25, Some(0.5), &["target"]);
        let tals = parse_tals(&bytes).expect("valid");
        assert_eq!(tals[0].onset_s, 12.25);
        assert_eq!(tals[0].duration_s, Some(0.5));
        assert_eq!(tals[0].texts, vec!["target".to_string()]);
    }
}
