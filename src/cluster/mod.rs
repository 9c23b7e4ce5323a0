//! Scale-out on Apache DataFusion Ballista: Firn plans, Ballista executes.
//!
//! A database opened with a cluster (`firn DB --cluster df://HOST:PORT`,
//! [`crate::DatabaseOptions::cluster`]) plans every statement in its own
//! session — Firn's statements, table functions, catalog and file rules — and
//! sends the parts of the physical plan that read shared files to a Ballista
//! scheduler (`planner`, [`RemoteExec`]). Work with side effects (training,
//! registry writes, table commits, tracking) stays in the client; its input
//! runs on the cluster. The scheduler and executors are this same binary
//! (`firn cluster scheduler|executor`, [`run_scheduler`], [`run_executor`]),
//! with Firn's functions made from the one function manifest (`functions`),
//! Firn's plan nodes in a codec (`codec`), and models read read-only from the
//! database's registry at a location every node resolves the same way
//! (`shared_models`). `docs/SCALING.md` says what limits it.

mod codec;
mod executor;
mod functions;
mod planner;
mod remote_exec;
mod scheduler;
mod settings;
mod shared_models;
mod shared_store;
mod target;

pub use codec::FirnPhysicalCodec;
pub use executor::{ExecutorOptions, run_executor};
pub use remote_exec::RemoteExec;
pub use scheduler::{SchedulerOptions, run_scheduler};
pub use target::ClusterTarget;

pub(crate) use planner::{ClusterQueryPlanner, logical_rules};
pub(crate) use settings::client_config;
