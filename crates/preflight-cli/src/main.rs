//! The `preflight` command: parses arguments, calls the library, renders the
//! result, and exits with a documented code.
//!
//! Exit codes: 0 when everything was read and nothing was found; 1 when the
//! run completed with findings (for `inspect`: files that could not be
//! read; for `scan` and `merge`: recordings that could not be read; for
//! `export`: windows left out as unreadable or not fitting, or non-finite
//! samples in X; for `audit`, `evaluate` and `train`: a `--fail-on`
//! condition); 2 on a usage error, an unreadable single input, or an I/O
//! error.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Outcome of a command that ran to its end.
pub enum Outcome {
    /// Nothing to report.
    Clean,
    /// Findings the user should look at (exit code 1).
    Findings,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    #[cfg(feature = "train")]
    pin_thread_count();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Convert(args) => commands::convert::run(&args),
        Command::Audit(args) => commands::audit::run(&args),
        Command::Synth(args) => commands::synth::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Scan(args) => commands::scan::run(&args),
        Command::Merge(args) => commands::merge::run(&args),
        Command::Evaluate(args) => commands::evaluate::run(&args),
        Command::Export(args) => commands::export::run(&args),
        #[cfg(feature = "train")]
        Command::Train(args) => commands::train::run(&args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Thread counts for the tensor library of `train`, unless the
/// environment sets them; this runs before any thread is started.
///
/// - `RAYON_NUM_THREADS`: the machine's parallelism. candle asks for its
///   thread count before every matrix product and, without the variable,
///   reads /proc/cpuinfo each time: a measurable share of a training step.
/// - `CANDLE_NUM_THREADS`: 1. candle's pool for element-wise operations
///   spin-waits for its workers; with the baseline's small tensors a step
///   took 65 ms with two threads and 11 ms with one on a 2-core machine
///   with other work running (BENCHMARKS.md). Matrix products still use
///   every core.
#[cfg(feature = "train")]
fn pin_thread_count() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

/// Logs go to stderr; warn by default, -v info, -vv debug, RUST_LOG wins.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

/// Asks glibc's allocator to keep freed memory for reuse instead of
/// handing it back to the kernel as soon as it can. By default a thread's
/// heap shrinks whenever 128 kB at its top are free and blocks over 128 kB
/// to 32 MB come straight from `mmap`; an audit that builds and drops
/// per-recording sums then took every page again from the kernel, zeroed:
/// a tenth of its CPU time. Memory in use is unchanged, and so is the peak
/// (a scan's stays 15 MB on a 64-channel hour); what is freed stays in the
/// process until it exits, up to 256 MB at a heap's top.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called first in
    // `main`, before any other thread exists. A refused setting leaves the
    // default.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}
