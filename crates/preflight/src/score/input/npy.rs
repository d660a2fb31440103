//! `.npy` arrays as [`Table`]s: the header parsed by `npyz`, the elements
//! decoded here from the bytes, whatever their byte order and the array's
//! order, after checking that the file holds every element its header
//! claims.

use std::path::Path;

use npyz::{DType, Endianness, TypeChar};

use super::{Cells, Table};
use crate::score::ScoreError;

pub(super) fn read_npy(path: &Path, bytes: &[u8]) -> Result<Table, ScoreError> {
    let mut reader: &[u8] = bytes;
    let header = npyz::NpyHeader::from_reader(&mut reader)
        .map_err(|e| ScoreError::file(path, "header", "a NumPy .npy header", e.to_string()))?;
    let data = reader;
    let file = npyz::NpyFile::with_header(header, data);
    let shape: Vec<u64> = file.shape().to_vec();
    let fortran = file.order() == npyz::Order::Fortran;
    let dtype = file.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(ScoreError::file(
            path,
            "dtype",
            "integers, float32/float64 or strings",
            dtype.descr(),
        ));
    };
    let shape_text = format!(
        "({})",
        shape
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (rows, cols) = match shape.as_slice() {
        [n] => (*n, 1),
        [n, k] => (*n, *k),
        _ => {
            return Err(ScoreError::file(
                path,
                "shape",
                "1 axis (labels, or one score per example) or 2 (examples × classes)",
                format!("{} axes {shape_text}", shape.len()),
            ))
        }
    };
    let (Ok(rows), Ok(cols)) = (usize::try_from(rows), usize::try_from(cols)) else {
        return Err(ScoreError::file(
            path,
            "shape",
            "a shape that fits in memory",
            shape_text,
        ));
    };
    let size = ts.size_field() as usize;
    let item = ts.num_bytes().unwrap_or(0);
    let count = rows.checked_mul(cols);
    let needed = count.and_then(|c| c.checked_mul(item));
    match needed {
        Some(need) if need <= data.len() && item > 0 => {}
        _ => {
            return Err(ScoreError::file(
                path,
                "data",
                format!(
                    "{} bytes for shape {shape_text} of {}",
                    needed.map_or("more than 2^64".into(), |n| n.to_string()),
                    ts
                ),
                format!("{} bytes after the header", data.len()),
            ))
        }
    }
    let count = count.unwrap_or(0);
    let big = ts.endianness() == Endianness::Big;
    let chunk = |i: usize| -> Vec<u8> {
        // The data length was checked above, so the range exists.
        let mut b = data.get(i * item..(i + 1) * item).unwrap_or(&[]).to_vec();
        if big {
            b.reverse();
        }
        b
    };
    let wrong_dtype = || {
        ScoreError::file(
            path,
            "dtype",
            "integers (labels), float32/float64 (scores) or strings (class names)",
            ts.to_string(),
        )
    };

    // Elements in C order, whatever the file's order.
    let index = |i: usize| -> usize {
        if fortran && cols > 1 {
            let (r, c) = (i / cols, i % cols);
            c * rows + r
        } else {
            i
        }
    };
    let cells = match ts.type_char() {
        TypeChar::Bool | TypeChar::Int | TypeChar::Uint => {
            let signed = ts.type_char() == TypeChar::Int;
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let b = chunk(index(i));
                let v = int_le(&b, signed).ok_or_else(wrong_dtype)?;
                let v = i64::try_from(v).map_err(|_| {
                    ScoreError::file(
                        path,
                        format!("index {i}"),
                        "a class index that fits in 64 bits",
                        v.to_string(),
                    )
                })?;
                out.push(v);
            }
            Cells::Ints(out)
        }
        TypeChar::Float => {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let b = chunk(index(i));
                let v = match (size, b.as_slice()) {
                    (4, &[a, b, c, d]) => f64::from(f32::from_le_bytes([a, b, c, d])),
                    (8, b8) => f64::from_le_bytes(b8.try_into().map_err(|_| wrong_dtype())?),
                    _ => return Err(wrong_dtype()),
                };
                out.push(v);
            }
            Cells::Floats(out)
        }
        TypeChar::UnicodeStr | TypeChar::ByteStr => {
            let unicode = ts.type_char() == TypeChar::UnicodeStr;
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                // Strings are not byte-swapped as a whole: per code unit.
                let raw = data
                    .get(index(i) * item..(index(i) + 1) * item)
                    .unwrap_or(&[]);
                let s = if unicode {
                    raw.chunks_exact(4)
                        .map(|u| {
                            let v = if big {
                                u32::from_be_bytes([u[0], u[1], u[2], u[3]])
                            } else {
                                u32::from_le_bytes([u[0], u[1], u[2], u[3]])
                            };
                            char::from_u32(v).unwrap_or('\u{fffd}')
                        })
                        .collect::<String>()
                } else {
                    String::from_utf8_lossy(raw).into_owned()
                };
                out.push(s.trim_end_matches('\0').to_string());
            }
            Cells::Names(out)
        }
        _ => return Err(wrong_dtype()),
    };
    Ok(Table {
        path: path.to_path_buf(),
        cells,
        cols,
        lines: None,
        is_npy: true,
    })
}

/// A little-endian integer of 1, 2, 4 or 8 bytes, widened.
fn int_le(b: &[u8], signed: bool) -> Option<i128> {
    let mut buf = [0u8; 8];
    buf.get_mut(..b.len())?.copy_from_slice(b);
    let u = u64::from_le_bytes(buf);
    let bits = 8 * b.len() as u32;
    if !matches!(bits, 8 | 16 | 32 | 64) {
        return None;
    }
    if signed && bits < 64 && (u >> (bits - 1)) & 1 == 1 {
        Some(u as i128 - (1i128 << bits))
    } else if signed && bits == 64 {
        Some(i128::from(u as i64))
    } else {
        Some(i128::from(u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_big_endian_decode() {
        assert_eq!(int_le(&[0xff], true), Some(-1));
        assert_eq!(int_le(&[0xff], false), Some(255));
        assert_eq!(int_le(&[0xfe, 0xff, 0xff, 0xff], true), Some(-2));
        assert_eq!(
            int_le(&[1, 0, 0, 0, 0, 0, 0, 0x80], true),
            Some(i64::MIN as i128 + 1)
        );
        assert_eq!(int_le(&[0, 0, 0], true), None);
    }
}
