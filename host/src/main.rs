//! The `probe-host` command.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    probe_host::cli::main()
}
