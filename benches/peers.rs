//! `cargo bench --bench peers -- [--reads N] [--image-bytes B] [--seed S] [--epoch-buffer-mib M]
//! [--dir DIR] [--json]`
//!
//! platevault, raw RocksDB with the same layout (the floor) and SQLite with the same hashing
//! and encryption, side by side on one synthetic month of traffic; see `benches/peers/mod.rs`
//! and `docs/benchmarks.md`. Each engine runs in a child process of its own (this binary,
//! re-executed with `--engine NAME`), so that each one's peak memory is its own; the parent
//! drives the children phase by phase, interleaved. With `--json` the last line of standard
//! output is one JSON object; progress goes to standard error.

#[path = "common/mod.rs"]
mod common;
#[path = "peers/mod.rs"]
mod peers;

use peers::Result;

fn main() {
    if let Err(e) = run() {
        eprintln!("peers: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match peers::parse_args(&args)? {
        Some(o) => o,
        None => {
            println!("{}", peers::USAGE);
            return Ok(());
        }
    };
    if let Some(engine) = &args.engine {
        let dir = args.dir.ok_or("--engine needs --dir")?;
        return peers::serve_child(engine, &dir, &args.workload);
    }
    let tmp = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };
    let exe = std::env::current_exe()?;
    let report = peers::run_children(&args.workload, tmp.path(), &exe)?;
    if args.json {
        println!("{}", report.to_json()?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}
