//! The trained network as one safetensors file that carries what it needs
//! to be used again: its weights and batch-norm statistics, the
//! per-channel normalization its inputs must get (as tensors
//! `input.mean` and `input.std`, in the order of the channel axis), the
//! alignment matrix of each subject of the run when inputs were aligned
//! (`input.alignment.SUBJECT`, channels × channels, applied after the
//! normalization as `x ← A x`; see [`crate::align`]), and, in the file's
//! metadata, the channel names, classes, sampling rates and
//! the network's shape as JSON. A `model.json` beside it says the same
//! for people.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::align::Alignment;
use crate::error::TrainError;
use crate::model::{EegNet, NetConfig};

/// Metadata key of [`ModelCard`] in the safetensors file.
pub const CARD_KEY: &str = "preflight.model";

/// What a user of the weights needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Schema of this description.
    pub schema: String,
    /// The network's shape.
    pub net: NetConfig,
    /// Channel names, in the order of the input's channel axis.
    pub channels: Vec<String>,
    /// Class names, in the order of the logits.
    pub classes: Vec<String>,
    /// Sampling rate of the recordings' windows, Hz.
    pub input_sfreq_hz: f64,
    /// Decimation applied before the network (see `data::Examples::decimate`).
    pub decimation: usize,
    /// Window start and end relative to the event, s (when windows follow
    /// events).
    pub window_s: Option<(f64, f64)>,
    /// Whether inputs are normalized with `input.mean` / `input.std`
    /// (false: raw µV).
    pub normalized: bool,
    /// Whether each subject's normalized windows are whitened by the
    /// inverse square root of that subject's mean spatial covariance before
    /// the network (see [`crate::align`]: a new subject needs its own
    /// matrix, made the same way from its unlabelled windows).
    #[serde(default)]
    pub aligned: bool,
}

/// Per-channel input normalization: `(x − mean) / std`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputNormalization {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Standard deviation per channel.
    pub std: Vec<f32>,
}

/// Writes `net` with `card`, `normalization` and the `alignment` of the
/// subjects named (index into the names as in [`Alignment::matrices`]) to
/// `path` (safetensors)
/// and `model.json` beside it, each through a temporary file renamed into
/// place.
///
/// # Errors
///
/// [`TrainError::Io`] naming the file that could not be written;
/// [`TrainError::Data`] when the normalization does not have one value
/// per channel.
pub fn save(
    net: &EegNet,
    card: &ModelCard,
    normalization: Option<&InputNormalization>,
    alignment: Option<(&Alignment, &[String])>,
    path: &Path,
) -> Result<(), TrainError> {
    let mut tensors: HashMap<String, Tensor> = net.state();
    if let Some(n) = normalization {
        let c = card.channels.len();
        if n.mean.len() != c || n.std.len() != c {
            return Err(TrainError::Data(format!(
                "normalization has {} means and {} deviations for {c} channels",
                n.mean.len(),
                n.std.len()
            )));
        }
        tensors.insert(
            "input.mean".into(),
            Tensor::new(n.mean.as_slice(), &Device::Cpu)?,
        );
        tensors.insert(
            "input.std".into(),
            Tensor::new(n.std.as_slice(), &Device::Cpu)?,
        );
    }
    if let Some((a, subjects)) = alignment {
        let c = card.channels.len();
        if a.channels != c || a.matrices.len() != subjects.len() {
            return Err(TrainError::Data(format!(
                "alignment has {} matrices of {} channels for {} subjects of {c} channels",
                a.matrices.len(),
                a.channels,
                subjects.len()
            )));
        }
        for (m, subject) in a.matrices.iter().zip(subjects) {
            if let Some(m) = m {
                let values: Vec<f32> = m.iter().map(|&v| v as f32).collect();
                tensors.insert(
                    format!("input.alignment.{subject}"),
                    Tensor::from_vec(values, (c, c), &Device::Cpu)?,
                );
            }
        }
    }
    let json = serde_json::to_string(card)
        .map_err(|e| TrainError::Data(format!("model description: {e}")))?;
    let metadata = HashMap::from([(CARD_KEY.to_string(), json)]);
    let mut sorted: Vec<(String, Tensor)> = tensors.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let bytes = safetensors::serialize(sorted, Some(metadata))
        .map_err(|e| TrainError::Data(format!("safetensors: {e}")))?;
    write_atomic(path, &bytes)?;
    let pretty = serde_json::to_vec_pretty(card)
        .map_err(|e| TrainError::Data(format!("model description: {e}")))?;
    let sidecar = path.with_file_name("model.json");
    write_atomic(&sidecar, &pretty)
}

/// Reads the description back from a file written by [`save`].
///
/// # Errors
///
/// [`TrainError::Io`] or [`TrainError::Data`] naming the file and what is
/// missing.
pub fn read_card(path: &Path) -> Result<ModelCard, TrainError> {
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let fail = |what: String| TrainError::Data(format!("{}: {what}", path.display()));
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| fail(format!("not a safetensors file ({e})")))?;
    let json = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(CARD_KEY))
        .ok_or_else(|| fail(format!("no {CARD_KEY} metadata")))?;
    serde_json::from_str(json).map_err(|e| fail(format!("{CARD_KEY}: {e}")))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    // Temporary files are created readable by their owner only; a model is
    // a plain file like any other (rw-r--r--).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        file.as_file().set_permissions(mode).map_err(io)?;
    }
    file.as_file().sync_all().map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn weights_normalization_and_card_come_back() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = NetConfig::eegnet(2, 32, 2, 32.0);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let net = EegNet::new(config.clone(), &mut rng, &Device::Cpu).expect("a network");
        let card = ModelCard {
            schema: "preflight.model/1".into(),
            net: config,
            channels: vec!["Cz".into(), "Pz".into()],
            classes: vec!["standard".into(), "target".into()],
            input_sfreq_hz: 128.0,
            decimation: 4,
            window_s: Some((-0.2, 0.8)),
            normalized: true,
            aligned: true,
        };
        let norm = InputNormalization {
            mean: vec![1.0, -2.0],
            std: vec![10.0, 20.0],
        };
        let path = dir.path().join("model.safetensors");
        let alignment = Alignment {
            channels: 2,
            matrices: vec![Some(vec![2.0, 0.5, 0.5, 3.0]), None],
        };
        let subjects = ["01".to_string(), "02".to_string()];
        save(
            &net,
            &card,
            Some(&norm),
            Some((&alignment, &subjects)),
            &path,
        )
        .expect("saved");
        assert_eq!(read_card(&path).expect("card"), card);
        let loaded = candle_core::safetensors::load(&path, &Device::Cpu).expect("loads");
        let std = loaded["input.std"].to_vec1::<f32>().expect("f32");
        assert_eq!(std, vec![10.0, 20.0]);
        let a = loaded["input.alignment.01"]
            .to_vec2::<f32>()
            .expect("2 × 2");
        assert_eq!(a, vec![vec![2.0, 0.5], vec![0.5, 3.0]]);
        assert!(!loaded.contains_key("input.alignment.02"));
        for (name, tensor) in net.state() {
            let a = tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let b = loaded[&name]
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            assert_eq!(a, b, "{name}");
        }
        let sidecar = std::fs::read_to_string(dir.path().join("model.json")).expect("model.json");
        assert!(sidecar.contains("\"decimation\": 4"), "{sidecar}");
        let wrong = InputNormalization {
            mean: vec![0.0],
            std: vec![1.0],
        };
        let err = save(&net, &card, Some(&wrong), None, &path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 means"), "{err}");
        let err = read_card(&dir.path().join("model.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a safetensors file"), "{err}");
    }
}
