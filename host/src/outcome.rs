//! How a run ended: one bounded set, the `result` label of `probe_host_probe_runs_total`. The
//! engine's errors name their outcome, validation names its own, and the status counts them;
//! the set is written once, here.

/// How one run of a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunOutcome {
    Success,
    Timeout,
    Cpu,
    Memory,
    Trap,
    ApiLimit,
    ApiError,
    ProbeError,
    InvalidOutput,
}

impl RunOutcome {
    /// Every outcome, in the order the self-metrics list them.
    pub const ALL: [RunOutcome; 9] = [
        RunOutcome::Success,
        RunOutcome::Timeout,
        RunOutcome::Cpu,
        RunOutcome::Memory,
        RunOutcome::Trap,
        RunOutcome::ApiLimit,
        RunOutcome::ApiError,
        RunOutcome::ProbeError,
        RunOutcome::InvalidOutput,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::Timeout => "timeout",
            RunOutcome::Cpu => "cpu",
            RunOutcome::Memory => "memory",
            RunOutcome::Trap => "trap",
            RunOutcome::ApiLimit => "api_limit",
            RunOutcome::ApiError => "api_error",
            RunOutcome::ProbeError => "probe_error",
            RunOutcome::InvalidOutput => "invalid_output",
        }
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
