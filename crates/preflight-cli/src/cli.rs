//! Command-line arguments, as parsed by clap, before they are checked.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use preflight::synth::{Fault, SynthConfig};

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
    /// Writes a synthetic BIDS EEG dataset (or NumPy arrays) with planted
    /// faults, and truth.json listing each one.
    Synth(SynthArgs),
    /// Writes the demo dataset (a study whose two recordings of one subject
    /// carry mains noise from loose electrodes) and shows what it holds.
    Demo(DemoArgs),
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

/// File layout of `preflight synth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// BIDS EEG: EDF+ files with events.tsv, channels.tsv and eeg.json.
    Edf,
    /// X.npy (examples × channels × samples), y.npy, groups.npy,
    /// recordings.tsv.
    Npy,
}

fn defaults() -> SynthConfig {
    SynthConfig::default()
}

fn parse_fault(spec: &str) -> Result<Fault, String> {
    spec.parse::<Fault>().map_err(|e| e.to_string())
}

/// Arguments of `preflight synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The folder to write; created if missing, and it must be empty.
    pub out: PathBuf,

    /// Number of subjects.
    #[arg(long, default_value_t = defaults().subjects)]
    pub subjects: u32,

    /// Runs per subject.
    #[arg(long, default_value_t = defaults().runs)]
    pub runs: u32,

    /// Channels per recording: up to 19 from the 10-20 system, else the
    /// 10-10 labels of a BioSemi 32 or 64 cap.
    #[arg(long, default_value_t = defaults().channels)]
    pub channels: usize,

    /// Sampling rate in Hz (a whole number).
    #[arg(long, default_value_t = defaults().sfreq_hz, value_name = "HZ")]
    pub sfreq: f64,

    /// Length of each run in minutes.
    #[arg(long, default_value_t = defaults().minutes)]
    pub minutes: f64,

    /// Share of target stimuli, 0 to 1.
    #[arg(long, default_value_t = defaults().target_share, value_name = "SHARE")]
    pub target_share: f64,

    /// Mean inter-stimulus interval in seconds (onsets jitter by ±10%).
    #[arg(long, default_value_t = defaults().isi_s, value_name = "SECONDS")]
    pub isi: f64,

    /// Seed of every random draw; the same seed and options give
    /// byte-identical files.
    #[arg(long, default_value_t = defaults().seed)]
    pub seed: u64,

    /// Mains frequency in Hz (50 or 60).
    #[arg(long, default_value_t = defaults().mains_hz, value_name = "HZ")]
    pub mains: f64,

    /// File layout.
    #[arg(long, value_enum, default_value_t = FormatArg::Edf)]
    pub format: FormatArg,

    /// A fault to plant, repeatable; replaces the default of one fault of
    /// each kind at places drawn from the seed. KIND:key=value,... with
    /// KIND mains, detached, flat, clipping, bursts, dc_offset, nan, inf
    /// (the last two with --format npy); keys subject, run, channels
    /// (joined by +), onset, duration (s), frequency (Hz), amplitude,
    /// offset, limit, value (µV), count. Example:
    /// detached:subject=7,run=2,channels=P3+P4,frequency=60
    #[arg(long = "fault", value_name = "SPEC", value_parser = parse_fault)]
    pub faults: Vec<Fault>,

    /// Plant no faults.
    #[arg(long, conflicts_with = "faults")]
    pub no_faults: bool,

    /// The control subject (clean, uniformly 3× larger): a subject number,
    /// or `none`. Default: one drawn from the seed.
    #[arg(long, value_name = "SUBJECT|none")]
    pub control: Option<String>,

    /// Print truth.json instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `preflight demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder to write the demo dataset into; it must be new or empty.
    #[arg(long, default_value = "preflight-demo", value_name = "DIR")]
    pub out: PathBuf,

    /// Shorter runs, in minutes, for quick checks of the command itself;
    /// the demo's story needs the full length.
    #[arg(long, hide = true)]
    pub minutes: Option<f64>,
}
