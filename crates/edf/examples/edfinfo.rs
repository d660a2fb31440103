//! Prints what an EDF/BDF file holds: `cargo run -p edf --example edfinfo -- FILE...`

fn main() {
    for path in std::env::args().skip(1) {
        match edf::Edf::open(&path) {
            Err(e) => println!("{path}: ERROR {e}"),
            Ok(f) => {
                let h = f.header();
                println!(
                    "{path}: {:?} {:?}, {} signals, {} records × {} s, {} annotations, {} gaps",
                    h.format,
                    h.variant,
                    h.signals.len(),
                    f.records(),
                    h.record_duration_s,
                    f.annotations().len(),
                    f.gaps().len()
                );
                for w in f.warnings() {
                    println!("  warning: {w}");
                }
            }
        }
    }
}
