//! The NumPy `.npy` format (version 1.0), written: a header that names the
//! type and shape, then the values in C order, little-endian.
//!
//! Only what preflight writes: `<f4` (float32 samples), `|u1` (uint8
//! masks), `<i8` (int64 labels) and `<U{n}` (fixed-width unicode subject
//! labels, which `numpy.load` reads without `allow_pickle`). See
//! <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.

use std::io::{self, Write};

/// A `.npy` version 1.0 header for a C-ordered array of type `descr` and
/// `shape`, padded with spaces so that the data starts at a multiple of 64
/// bytes.
///
/// ```
/// let h = preflight::export::npy::header("<f4", &[3, 2, 256]);
/// assert_eq!(h.len() % 64, 0);
/// assert!(String::from_utf8_lossy(&h).contains("'shape': (3, 2, 256)"));
/// ```
pub fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Writes a float32 array of `shape` holding `values`.
///
/// # Errors
///
/// What `w` returns.
pub fn write_f32(w: &mut impl Write, shape: &[usize], values: &[f32]) -> io::Result<()> {
    w.write_all(&header("<f4", shape))?;
    // In blocks, so a shard is converted without a second copy of it.
    let mut bytes = Vec::with_capacity(4 * 16_384);
    for block in values.chunks(16_384) {
        bytes.clear();
        for v in block {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&bytes)?;
    }
    Ok(())
}

/// Writes a uint8 array of `shape` holding `values`.
///
/// # Errors
///
/// What `w` returns.
pub fn write_u8(w: &mut impl Write, shape: &[usize], values: &[u8]) -> io::Result<()> {
    w.write_all(&header("|u1", shape))?;
    w.write_all(values)
}

/// Writes a one-dimensional int64 array.
///
/// # Errors
///
/// What `w` returns.
pub fn write_i64(w: &mut impl Write, values: &[i64]) -> io::Result<()> {
    w.write_all(&header("<i8", &[values.len()]))?;
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    w.write_all(&bytes)
}

/// Writes a one-dimensional array of fixed-width unicode strings, as wide
/// as the longest (at least 1 character).
///
/// # Errors
///
/// What `w` returns.
pub fn write_unicode(w: &mut impl Write, values: &[&str]) -> io::Result<()> {
    let width = values
        .iter()
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(1)
        .max(1);
    w.write_all(&header(&format!("<U{width}"), &[values.len()]))?;
    let mut bytes = Vec::with_capacity(values.len() * width * 4);
    for v in values {
        let mut n = 0;
        for c in v.chars() {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
            n += 1;
        }
        bytes.resize(bytes.len() + 4 * (width - n), 0);
    }
    w.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_start_at_64_bytes_and_hold_little_endian_values() {
        let mut out = Vec::new();
        write_f32(&mut out, &[1, 2], &[1.0, -2.5]).unwrap();
        let h = header("<f4", &[1, 2]).len();
        assert_eq!(h % 64, 0);
        assert_eq!(out.len(), h + 8);
        assert_eq!(&out[h..h + 4], &1f32.to_le_bytes());
        let mut s = Vec::new();
        write_unicode(&mut s, &["07", "1"]).unwrap();
        let h = header("<U2", &[2]).len();
        assert!(String::from_utf8_lossy(&s[..h]).contains("'<U2'"));
        assert_eq!(
            &s[h..],
            &[48, 0, 0, 0, 55, 0, 0, 0, 49, 0, 0, 0, 0, 0, 0, 0]
        );
        let mut y = Vec::new();
        write_i64(&mut y, &[3]).unwrap();
        assert!(String::from_utf8_lossy(&y).contains("'shape': (1,)"));
    }
}
