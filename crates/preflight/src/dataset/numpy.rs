//! NumPy datasets as deep learning code keeps them: `X.npy` (examples ×
//! channels × samples; float32, float64 or int16, C order), `y.npy` (one
//! label per example) and optionally `groups.npy` (the subject of each
//! example).
//!
//! The header of `X.npy` is read with `npyz`; its samples are not read here.
//! `y.npy` and `groups.npy` are small and read whole; integer, boolean,
//! float, and fixed-width string (`U`, `S`) labels are accepted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{relative, Dataset, Layout};
use crate::error::Error;

/// Sample types `X.npy` may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleType {
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// 16-bit signed integer.
    Int16,
}

impl SampleType {
    /// Bytes per sample.
    pub fn size(self) -> usize {
        match self {
            SampleType::Float32 => 4,
            SampleType::Float64 => 8,
            SampleType::Int16 => 2,
        }
    }
}

/// The arrays of a NumPy dataset.
#[derive(Debug, Clone, Serialize)]
pub struct NumpyDataset {
    /// `X.npy`, relative to the root.
    pub x: PathBuf,
    /// Examples (first axis).
    pub examples: usize,
    /// Channels (second axis).
    pub channels: usize,
    /// Samples per example (third axis).
    pub samples: usize,
    /// Sample type of `X.npy`.
    pub sample_type: SampleType,
    /// Whether `X.npy` is big-endian.
    pub big_endian: bool,
    /// Byte offset of the first sample in `X.npy`.
    pub data_offset: u64,
    /// Examples per class label.
    pub class_counts: BTreeMap<String, usize>,
    /// Examples per group (subject), when `groups.npy` exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_counts: Option<BTreeMap<String, usize>>,
    /// Label of each example.
    #[serde(skip)]
    pub labels: Vec<String>,
    /// Group of each example.
    #[serde(skip)]
    pub groups: Option<Vec<String>>,
}

/// Discovers a NumPy dataset from its folder or its `X.npy`.
///
/// # Errors
///
/// [`Error::Invalid`] naming the file when an array is missing, malformed,
/// Fortran-ordered, truncated, of an unsupported type, or when `X`, `y` and
/// `groups` disagree on the number of examples.
pub fn discover(path: &Path) -> Result<Dataset, Error> {
    let (root, x_path) = if path.is_dir() {
        (path.to_path_buf(), path.join("X.npy"))
    } else {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    };
    let numpy = read(&root, &x_path)?;
    Ok(Dataset {
        root,
        layout: Layout::Numpy,
        recordings: Vec::new(),
        numpy: Some(numpy),
        participants: Default::default(),
        unreadable: Vec::new(),
    })
}

fn read(root: &Path, x_path: &Path) -> Result<NumpyDataset, Error> {
    // X: header only, then a size check.
    let x = Array::open(x_path, false)?;
    let [examples, channels, samples] = x.shape[..] else {
        return Err(Error::invalid(
            x_path,
            "shape",
            format!(
                "{:?} has {} axes, expected 3 (examples × channels × samples)",
                x.shape,
                x.shape.len()
            ),
        ));
    };
    let (sample_type, big_endian) = match x.descr.as_str() {
        "<f4" => (SampleType::Float32, false),
        ">f4" => (SampleType::Float32, true),
        "<f8" => (SampleType::Float64, false),
        ">f8" => (SampleType::Float64, true),
        "<i2" => (SampleType::Int16, false),
        ">i2" => (SampleType::Int16, true),
        other => {
            return Err(Error::invalid(
                x_path,
                "dtype",
                format!("{other:?} is not supported; expected float32, float64 or int16"),
            ))
        }
    };

    // Labels and groups.
    let y_path = x_path.with_file_name("y.npy");
    if !y_path.is_file() {
        return Err(Error::invalid(
            &y_path,
            "file",
            "missing; a NumPy dataset needs y.npy beside X.npy",
        ));
    }
    let labels = Array::open(&y_path, true)?.strings()?;
    if labels.len() != examples {
        return Err(Error::invalid(
            &y_path,
            "length",
            format!(
                "{} labels, but X.npy holds {examples} examples",
                labels.len()
            ),
        ));
    }
    let g_path = x_path.with_file_name("groups.npy");
    let groups = if g_path.is_file() {
        let g = Array::open(&g_path, true)?.strings()?;
        if g.len() != examples {
            return Err(Error::invalid(
                &g_path,
                "length",
                format!("{} groups, but X.npy holds {examples} examples", g.len()),
            ));
        }
        Some(g)
    } else {
        None
    };
    let count = |v: &[String]| {
        let mut m = BTreeMap::new();
        for s in v {
            *m.entry(s.clone()).or_insert(0) += 1;
        }
        m
    };
    Ok(NumpyDataset {
        x: relative(x_path, root),
        examples,
        channels,
        samples,
        sample_type,
        big_endian,
        data_offset: x.data_offset,
        class_counts: count(&labels),
        group_counts: groups.as_deref().map(count),
        labels,
        groups,
    })
}

/// A parsed `.npy` header, with the data when asked for.
struct Array {
    path: PathBuf,
    descr: String,
    shape: Vec<usize>,
    data_offset: u64,
    data: Vec<u8>,
}

impl Array {
    /// Reads a header (and the data when `load`), checking C order and that
    /// the file holds every element.
    fn open(path: &Path, load: bool) -> Result<Array, Error> {
        let bytes = if load {
            std::fs::read(path).map_err(|e| Error::io(path, e))?
        } else {
            // The header is at most a few kB; read a bounded prefix.
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let mut buf = Vec::new();
            f.by_ref()
                .take(1 << 20)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(path, e))?;
            buf
        };
        let file_len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        let mut reader: &[u8] = &bytes;
        let header = npyz::NpyHeader::from_reader(&mut reader)
            .map_err(|e| Error::invalid(path, "header", format!("not a valid .npy file: {e}")))?;
        let data_offset = (bytes.len() - reader.len()) as u64;
        let file = npyz::NpyFile::with_header(header, reader);
        if file.order() == npyz::Order::Fortran {
            return Err(Error::invalid(
                path,
                "fortran_order",
                "is True; save the array in C order (numpy.ascontiguousarray) first",
            ));
        }
        let shape: Vec<usize> = file.shape().iter().map(|&d| d as usize).collect();
        let (descr, item) = match file.header().dtype() {
            npyz::DType::Plain(t) => (t.to_string(), t.num_bytes().unwrap_or(0)),
            other => (other.descr(), 0),
        };
        if item == 0 {
            return Err(Error::invalid(
                path,
                "dtype",
                format!("{descr:?} is not a plain numeric or string type"),
            ));
        }
        let elements = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let needed = elements
            .and_then(|n| n.checked_mul(item))
            .map(|n| n as u64 + data_offset);
        match needed {
            Some(n) if n <= file_len => {}
            _ => {
                return Err(Error::invalid(
                    path,
                    "data",
                    format!(
                    "file is {file_len} bytes, the header's shape {shape:?} of {descr} needs {}",
                    needed.map_or("more than 2^64".to_string(), |n| n.to_string())
                ),
                ))
            }
        }
        let data = if load {
            bytes[data_offset as usize..].to_vec()
        } else {
            Vec::new()
        };
        Ok(Array {
            path: path.to_path_buf(),
            descr,
            shape,
            data_offset,
            data,
        })
    }

    /// The elements of a one-dimensional label array as strings.
    fn strings(&self) -> Result<Vec<String>, Error> {
        if self.shape.len() != 1 {
            return Err(Error::invalid(
                &self.path,
                "shape",
                format!("{:?}, expected one value per example (1 axis)", self.shape),
            ));
        }
        let n = self.shape[0];
        let d = self.descr.as_bytes();
        let (order, kind) = (d.first().copied(), d.get(1).copied().unwrap_or(b'?'));
        let size: usize = self
            .descr
            .get(2..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let big = order == Some(b'>');
        let unsupported = || {
            Error::invalid(
                &self.path,
                "dtype",
                format!(
                    "{:?} is not supported for labels; use integers or strings",
                    self.descr
                ),
            )
        };
        let width = match kind {
            b'U' => size * 4,
            b'b' | b'i' | b'u' | b'f' | b'S' => size,
            _ => return Err(unsupported()),
        };
        if width == 0 {
            return Err(unsupported());
        }
        let mut out = Vec::with_capacity(n);
        for chunk in self.data.chunks_exact(width).take(n) {
            let mut b = chunk.to_vec();
            if big && matches!(kind, b'i' | b'u' | b'f') {
                b.reverse();
            }
            let s = match (kind, width) {
                (b'b', 1) => (b[0] != 0).to_string(),
                (b'i', 1) => (b[0] as i8).to_string(),
                (b'i', 2) => i16::from_le_bytes([b[0], b[1]]).to_string(),
                (b'i', 4) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_string(),
                (b'i', 8) => {
                    i64::from_le_bytes(b[..8].try_into().map_err(|_| unsupported())?).to_string()
                }
                (b'u', 1) => b[0].to_string(),
                (b'u', 2) => u16::from_le_bytes([b[0], b[1]]).to_string(),
                (b'u', 4) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_string(),
                (b'u', 8) => {
                    u64::from_le_bytes(b[..8].try_into().map_err(|_| unsupported())?).to_string()
                }
                (b'f', 4) => float_label(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                (b'f', 8) => float_label(f64::from_le_bytes(
                    b[..8].try_into().map_err(|_| unsupported())?,
                )),
                (b'S', _) => String::from_utf8_lossy(&b)
                    .trim_end_matches('\0')
                    .to_string(),
                (b'U', _) => b
                    .chunks_exact(4)
                    .map(|c| {
                        let v = if big {
                            u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                        } else {
                            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                        };
                        char::from_u32(v).unwrap_or('\u{fffd}')
                    })
                    .take_while(|&c| c != '\0')
                    .collect(),
                _ => return Err(unsupported()),
            };
            out.push(s);
        }
        Ok(out)
    }
}

/// A float label as text: integral values without decimals (`1.0` → `1`).
fn float_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal .npy writer for tests: version 1.0, header padded to 64.
    fn npy(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let shape = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        let order = if fortran { "True" } else { "False" };
        let mut dict =
            format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        while (10 + dict.len() + 1) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        std::fs::write(dir.join(name), bytes).expect("write");
    }

    #[test]
    fn valid_dataset_counts_classes_and_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "X.npy",
            &npy("<f4", false, &[3, 2, 4], &[0u8; 3 * 2 * 4 * 4]),
        );
        write(
            dir.path(),
            "y.npy",
            &npy(
                "<i8",
                false,
                &[3],
                &[
                    0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                ],
            ),
        );
        let groups: Vec<u8> = ["a", "b", "b"]
            .iter()
            .flat_map(|s| (s.chars().next().expect("char") as u32).to_le_bytes())
            .collect();
        write(dir.path(), "groups.npy", &npy("<U1", false, &[3], &groups));
        let d = discover(dir.path()).expect("valid");
        let n = d.numpy.expect("numpy");
        assert_eq!((n.examples, n.channels, n.samples), (3, 2, 4));
        assert_eq!(n.class_counts.get("1"), Some(&2));
        assert_eq!(n.group_counts.expect("groups").get("b"), Some(&2));
    }

    #[test]
    fn mismatched_lengths_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "X.npy",
            &npy("<f8", false, &[2, 1, 1], &[0u8; 16]),
        );
        write(dir.path(), "y.npy", &npy("|u1", false, &[3], &[0, 1, 1]));
        let e = discover(dir.path())
            .expect_err("3 labels for 2 examples")
            .to_string();
        assert!(
            e.contains("y.npy") && e.contains("3 labels") && e.contains("2 examples"),
            "{e}"
        );
    }

    #[test]
    fn fortran_order_truncation_and_dtype_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "y.npy", &npy("|u1", false, &[2], &[0, 1]));
        write(
            dir.path(),
            "X.npy",
            &npy("<f4", true, &[2, 1, 1], &[0u8; 8]),
        );
        let e = discover(dir.path()).expect_err("fortran").to_string();
        assert!(e.contains("X.npy") && e.contains("fortran_order"), "{e}");
        write(
            dir.path(),
            "X.npy",
            &npy("<f4", false, &[2, 1, 4], &[0u8; 20]),
        );
        let e = discover(dir.path()).expect_err("truncated").to_string();
        assert!(e.contains("X.npy") && e.contains("needs"), "{e}");
        write(
            dir.path(),
            "X.npy",
            &npy("<i4", false, &[2, 1, 1], &[0u8; 8]),
        );
        let e = discover(dir.path()).expect_err("int32").to_string();
        assert!(e.contains("not supported"), "{e}");
    }
}
