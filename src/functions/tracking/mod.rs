//! Experiment tracking as table functions: logging (`create_experiment`,
//! `start_run`, `log_param`, `log_metric`, `end_run`) and `compare_runs`.

mod compare_runs;
mod tracking_calls;

use std::sync::Arc;

use super::manifest::{FunctionEntry, Needs};
use compare_runs::CompareRuns;
use tracking_calls::{TrackingCall, TrackingCallKind};

const FUNCTIONS: &[FunctionEntry] = &[
    FunctionEntry::table("create_experiment", Needs::Nothing, |s| {
        Arc::new(TrackingCall::new(
            TrackingCallKind::CreateExperiment,
            s.tracking.clone(),
        ))
    }),
    FunctionEntry::table("start_run", Needs::Nothing, |s| {
        Arc::new(TrackingCall::new(
            TrackingCallKind::StartRun,
            s.tracking.clone(),
        ))
    }),
    FunctionEntry::table("log_param", Needs::Nothing, |s| {
        Arc::new(TrackingCall::new(
            TrackingCallKind::LogParam,
            s.tracking.clone(),
        ))
    }),
    FunctionEntry::table("log_metric", Needs::Nothing, |s| {
        Arc::new(TrackingCall::new(
            TrackingCallKind::LogMetric,
            s.tracking.clone(),
        ))
    }),
    FunctionEntry::table("end_run", Needs::Nothing, |s| {
        Arc::new(TrackingCall::new(
            TrackingCallKind::EndRun,
            s.tracking.clone(),
        ))
    }),
    // Its columns are the runs' parameters and metrics: planning reads the log.
    FunctionEntry::table("compare_runs", Needs::Tracking, |s| {
        Arc::new(CompareRuns::new(s.tracking.clone()))
    }),
];

/// This family's functions.
pub(super) fn functions() -> &'static [FunctionEntry] {
    FUNCTIONS
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_logging_call_is_in_the_manifest_under_its_own_name() {
        for kind in super::TrackingCallKind::ALL {
            assert!(super::functions().iter().any(|f| f.name == kind.name()));
        }
    }
}
