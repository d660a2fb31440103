//! Command-line arguments, as parsed by clap, before they are checked.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Checks datasets of electrophysiology recordings (EEG, iEEG, ECoG) before
/// a neural network is trained on them.
#[derive(Debug, Parser)]
#[command(name = "preflight", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What a dataset holds: subjects, recordings, channels, rates, durations,
    /// events, and the files that cannot be read. Reads headers only.
    Inspect(InspectArgs),
    /// One recording decoded to physical units (µV for voltages) as a float32
    /// NumPy array (channels × samples) with a JSON sidecar.
    Convert(ConvertArgs),
    /// Every channel of every recording measured in one streaming pass:
    /// moments, quantiles, amplitude histogram, clipping, flatness, Welch
    /// spectrum and mains line noise, per recording, subject and dataset.
    Scan(ScanArgs),
    /// Combines the outputs of `preflight scan --shard K/N` into the output
    /// of one scan.
    Merge(MergeArgs),
}

/// How to find a dataset's recordings.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// A BIDS folder, a folder of EDF/BDF files, one EDF/BDF file, or a
    /// folder with X.npy and y.npy.
    pub path: PathBuf,

    /// Regular expression with a named group `subject`, matched against each
    /// file's path relative to the dataset, e.g. 'S(?P<subject>\d+)R'.
    /// Default: the BIDS sub- entity, else the parent folder's name.
    #[arg(long, value_name = "REGEX")]
    pub subject_pattern: Option<String>,

    /// Column of BIDS events.tsv that holds the event label.
    #[arg(long, default_value = "trial_type", value_name = "COLUMN")]
    pub label_column: String,

    /// Stop with exit code 2 if any file cannot be read, instead of
    /// reporting it and going on.
    #[arg(long)]
    pub strict: bool,
}

/// Arguments of `preflight inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// Print JSON (schema `preflight.inspect/1`) instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `preflight convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The EDF or BDF file.
    pub file: PathBuf,

    /// The .npy file to write; the sidecar is written beside it as .json.
    pub out: PathBuf,

    /// Channels to convert, by name, comma-separated; they must share one
    /// sampling rate. Default: all channels at the most common rate.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub channels: Option<Vec<String>>,
}

/// Arguments of `preflight scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// Write the report (JSON, schema `preflight.scan/1`) to this file.
    #[arg(short, long, value_name = "OUT.json")]
    pub output: Option<PathBuf>,

    /// Scan only shard K of N (1 <= K <= N): a deterministic share of the
    /// recordings, by a hash of their paths. Combine with `preflight merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Arguments of `preflight merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports written by `preflight scan --shard K/N -o ...`.
    #[arg(required = true, value_name = "REPORT.json")]
    pub inputs: Vec<PathBuf>,

    /// Where to write the merged report.
    #[arg(short, long, value_name = "OUT.json")]
    pub output: PathBuf,

    /// Print the merged report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}
