//! The `probe-host` command.
#![forbid(unsafe_code)]

/// mimalloc rather than the system allocator: serving a target from its document builds and
/// drops a tree of values per call (a record per item, a string per field name), and glibc's
/// allocator made allocation about 40 % of that path's time (docs/performance.md, section 2).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    probe_host::cli::main()
}
