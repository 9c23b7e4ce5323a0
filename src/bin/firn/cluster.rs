//! `firn cluster scheduler|executor`: the processes of a Ballista cluster
//! running Firn's queries (see `firnml::cluster`). Both log at info level to
//! standard error — an executor says which tasks it finished.

use std::net::IpAddr;
use std::process::ExitCode;

use firnml::cluster::{ExecutorOptions, SchedulerOptions, run_executor, run_scheduler};

/// Log lines of the cluster's libraries at info level, of everything else at warn level.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        let target = metadata.target();
        let chatty = target.starts_with("ballista") || target.starts_with("firn");
        metadata.level()
            <= if chatty {
                log::Level::Info
            } else {
                log::Level::Warn
            }
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "{} {:<5} {}: {}",
                chrono::Utc::now().format("%H:%M:%S%.3f"),
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

fn start_logging() {
    static LOGGER: StderrLogger = StderrLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// Ballista's ports are unauthenticated: say so when they leave the machine.
fn warn_if_exposed(bind: &str, what: &str) {
    let loopback = bind == "localhost" || bind.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        eprintln!(
            "warning: the {what} listens on {bind}; Ballista's ports are unauthenticated and run any \
             plan they are sent: keep them on a private network (see README, Scaling out)"
        );
    }
}

/// Runs a scheduler until the process is stopped.
pub async fn scheduler(options: SchedulerOptions) -> ExitCode {
    start_logging();
    warn_if_exposed(&options.bind, "scheduler");
    let result = run_scheduler(options, |address| {
        // Tests and scripts wait for this line; the port is bound before it is printed.
        println!("firn scheduler listening on {address}");
    })
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firn cluster scheduler: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an executor until the process is stopped or its scheduler goes away.
pub async fn executor(options: ExecutorOptions) -> ExitCode {
    start_logging();
    warn_if_exposed(&options.bind, "executor");
    match run_executor(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firn cluster executor: {e}");
            ExitCode::FAILURE
        }
    }
}
