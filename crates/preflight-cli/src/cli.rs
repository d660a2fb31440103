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
    /// The whole check: a stratified sample of windows, the outliers in it,
    /// where they come from and why, what to exclude, what to normalize with,
    /// and the class balance.
    Audit(Box<AuditArgs>),
    /// Writes a synthetic BIDS EEG dataset (or NumPy arrays) with planted
    /// faults, and truth.json listing each one.
    Synth(SynthArgs),
    /// Writes the demo dataset (a study whose two recordings of one subject
    /// carry mains noise from loose electrodes), audits it, trains the baseline
    /// on what the audit left, and shows what it found.
    Demo(DemoArgs),
    /// Every channel of every recording measured in one streaming pass:
    /// moments, quantiles, amplitude histogram, clipping, flatness, Welch
    /// spectrum and mains line noise, per recording, subject and dataset.
    Scan(ScanArgs),
    /// Combines the outputs of `preflight scan --shard K/N` into the output
    /// of one scan.
    Merge(MergeArgs),
    /// Judges a model's predictions against the true labels: NaN/Inf outputs,
    /// the majority baseline, balanced accuracy, and the accuracy trap.
    Evaluate(crate::commands::evaluate::EvaluateArgs),
    /// Writes the windows after the audit's exclusions, normalized with its
    /// statistics, as NumPy shards (X, y, groups, mask) with index.json,
    /// windows.tsv and the normalization.json used.
    Export(Box<ExportArgs>),
    /// Trains the guarded baseline (a small EEGNet-like network) on the
    /// windows the audit leaves, split by subject, and scores the held-out
    /// subjects; `--no-audit` trains on the raw windows to show what goes
    /// wrong.
    #[cfg(feature = "train")]
    Train(Box<crate::commands::train::TrainArgs>),
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

/// Arguments of `preflight audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// How the audit runs.
    #[command(flatten)]
    pub run: AuditRunArgs,

    /// Exit with code 1 when findings of these causes are present: a comma
    /// list (detached,mains,flat,clipping,nan,inf,dc_offset,bursts,
    /// hf_noise,high_amplitude,low_amplitude), `any` or `none`.
    #[arg(long, default_value = "any", value_name = "CAUSES")]
    pub fail_on: String,

    /// Folder for report.json, normalization.json and exclusions.tsv.
    #[arg(long, short, default_value = "preflight-report", value_name = "DIR")]
    pub out: PathBuf,

    /// Print report.json on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Also write the report as one self-contained HTML file here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write channels.tsv files marking bad channels (status,
    /// status_description) into this BIDS derivative folder.
    #[arg(long, value_name = "DIR")]
    pub bids_derivative: Option<PathBuf>,
}

/// How windows are made and how an audit samples, judges and excludes
/// them: the flags of `preflight audit` that commands running an audit
/// share.
#[derive(Debug, Args)]
pub struct AuditRunArgs {
    /// Window around each event, seconds from its onset: START:END.
    #[arg(
        long,
        default_value = "-0.2:0.8",
        value_name = "START:END",
        allow_hyphen_values = true
    )]
    pub window: String,

    /// Which event labels are classes: NAME=LABEL,LABEL;NAME=LABEL merges
    /// labels under names, LABEL,LABEL keeps those. Default: every label.
    #[arg(long, value_name = "MAP")]
    pub classes: Option<String>,

    /// Fixed-length windows of this many seconds instead of event windows,
    /// labelled with --label-participants or --labels (else all of one
    /// class, `unlabelled`). Recordings without events get 1 s windows.
    #[arg(long, value_name = "SECONDS")]
    pub fixed: Option<f64>,

    /// participants.tsv column that labels fixed-length windows.
    #[arg(long, value_name = "COLUMN", requires = "fixed")]
    pub label_participants: Option<String>,

    /// CSV or TSV of `subject,label` or `recording,label` rows that labels
    /// fixed-length windows.
    #[arg(
        long,
        value_name = "FILE",
        requires = "fixed",
        conflicts_with = "label_participants"
    )]
    pub labels: Option<PathBuf>,

    /// Share of windows to sample.
    #[arg(
        long,
        default_value_t = 0.001,
        value_name = "SHARE",
        conflicts_with_all = ["count", "full"]
    )]
    pub fraction: f64,

    /// Number of windows to sample instead of a share.
    #[arg(long, value_name = "N", conflicts_with = "full")]
    pub count: Option<usize>,

    /// Measure every window instead of a sample (finds short faults a
    /// sample misses; reads the whole dataset).
    #[arg(long)]
    pub full: bool,

    /// Least windows sampled per subject × class stratum.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_per_stratum: usize,

    /// Least windows sampled per recording.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub min_per_recording: usize,

    /// Seed of the sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// What an exclusion removes: recording, channel or window.
    #[arg(long, default_value = "recording", value_name = "LEVEL")]
    pub exclude: String,

    /// Robust z-score above which a window's amplitude, offset, line noise
    /// or high-frequency noise is an outlier.
    #[arg(long, default_value_t = 5.0, value_name = "Z")]
    pub z: f64,

    /// One outlier threshold, repeatable, applied after --z: NAME=VALUE with
    /// NAME amplitude_z, offset_z, offset_min_uv (µV), line_z,
    /// line_min_ratio, line_abs_ratio, hf_z, clip_share (0-1),
    /// min_log_spread or level_min_ratio (defaults in report.json's
    /// settings.detect). Example: --threshold line_min_ratio=20
    #[arg(long = "threshold", value_name = "NAME=VALUE", value_parser = parse_threshold)]
    pub thresholds: Vec<(String, f64)>,

    /// Sampling rate of a NumPy dataset, Hz (needed for spectra).
    #[arg(long, value_name = "HZ")]
    pub sfreq: Option<f64>,

    /// Factor from a NumPy dataset's values to µV (1e6 if they are volts).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub numpy_to_uv: f64,
}

/// Where the audit's decisions (windows, exclusions, normalization, class
/// weights) come from, for commands that use them: a report, an audit run
/// now with the audit's flags, or none.
#[derive(Debug, Args)]
pub struct AuditSource {
    /// report.json of an earlier `preflight audit` of this dataset: its
    /// windows, exclusions and normalization are used, and the audit flags
    /// are ignored. Default: run the audit now.
    #[arg(long, value_name = "REPORT.json")]
    pub audit: Option<PathBuf>,

    /// No audit: every window, values in µV, nothing excluded (the window
    /// flags still apply).
    #[arg(long, conflicts_with = "audit")]
    pub no_audit: bool,

    /// The audit's flags, when it runs now.
    #[command(flatten)]
    pub run: AuditRunArgs,
}

/// Arguments of `preflight export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// The folder to write the shards into: new, empty, or an earlier
    /// export (whose files are replaced). Never inside the dataset.
    pub out: PathBuf,

    /// The audit.
    #[command(flatten)]
    pub source: AuditSource,

    /// Windows per shard. Default: as many as keep one X shard within
    /// 256 MiB.
    #[arg(long, value_name = "N")]
    pub shard_size: Option<usize>,
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

fn parse_threshold(spec: &str) -> Result<(String, f64), String> {
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} has no '='; expected NAME=VALUE"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{spec:?}: {value:?} is not a number"))?;
    let name = name.trim().to_string();
    // Checked here so that a wrong name fails before any file is read.
    preflight::audit::detect::DetectConfig::default().set(&name, value)?;
    Ok((name, value))
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
    /// KIND mains, detached, flat, clipping, bursts, dc_offset, hf_noise,
    /// high_amplitude, low_amplitude, nan, inf (the last two with --format
    /// npy); keys subject, run, channels (joined by +), onset, duration (s),
    /// frequency (Hz), amplitude, offset, limit, value (µV), count, gain.
    /// Example:
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

    /// Skip training the baseline after the audit.
    #[arg(long)]
    pub no_train: bool,
}

/// Arguments of `preflight scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// Write the report (JSON, schema `preflight.scan/2`) to this file.
    #[arg(short, long, value_name = "OUT.json")]
    pub output: Option<PathBuf>,

    /// Scan only shard K of N (1 <= K <= N): a deterministic share of the
    /// recordings, by a hash of their paths. Combine with `preflight merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Also judge each recording's EEG channels by PyPREP's criteria (NaN,
    /// flat, deviation, HF noise, correlation, SNR, dropout; PyPREP's
    /// defaults, no RANSAC or PSD criterion). Reads each recording whole
    /// into memory, as PyPREP does.
    #[arg(long)]
    pub prep: bool,

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
