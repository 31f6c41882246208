//! The `platevault` command: the CLI contract of the product brief, over the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
