//! The `probe-host` command.
#![forbid(unsafe_code)]

/// mimalloc rather than the system allocator: serving a target from its document builds and
/// drops a tree of values per call (a record per item, a string per field name), and glibc's
/// allocator made allocation about 40 % of that path's time (docs/performance.md, section 2).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    allocator_settings();
    probe_host::cli::main()
}

/// mimalloc reads its settings from the environment before `main` runs, so the only way to
/// set them ([`probe_host::ALLOCATOR_ENV`]) without `unsafe` is to run again with them: `exec` the same binary, same
/// arguments, same process id, once. If that fails, the host runs with mimalloc's defaults.
#[cfg(unix)]
fn allocator_settings() {
    use std::os::unix::process::CommandExt as _;
    let missing: Vec<_> = probe_host::ALLOCATOR_ENV.iter().filter(|(k, _)| std::env::var_os(k).is_none()).collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut again = std::process::Command::new(exe);
    again.args(std::env::args_os().skip(1));
    for (key, value) in missing {
        again.env(key, value);
    }
    // Returns only on failure.
    let _ = again.exec();
}

#[cfg(not(unix))]
fn allocator_settings() {}
