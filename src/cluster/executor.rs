//! `firn cluster executor`: a Ballista executor with Firn's functions, plan
//! nodes and model reader. It runs the tasks the scheduler gives it, keeps
//! shuffle files in its work directory and serves them to other executors.

use std::sync::Arc;

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use datafusion::prelude::SessionConfig;

use crate::cluster::codec::FirnPhysicalCodec;
use crate::cluster::functions::executor_registry;
use crate::cluster::scheduler::cluster_error;
use crate::cluster::settings::cluster_config;
use crate::cluster::shared_models::SharedRegistryModels;
use crate::cluster::shared_store::runtime_for;
use crate::cluster::target::ClusterTarget;
use crate::error::Result;

/// How an executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler to register with.
    pub scheduler: ClusterTarget,
    /// Address to listen on.
    pub bind: String,
    /// Port of the Flight service other executors fetch shuffle data from.
    pub port: u16,
    /// Port of the task service the scheduler pushes tasks to.
    pub grpc_port: u16,
    /// Tasks run at once (0: one per core).
    pub vcores: usize,
    /// Where shuffle files go (default: a new temporary directory).
    pub work_dir: Option<String>,
    /// Memory all tasks together may use (bytes); operators that can spill do.
    pub memory_pool_bytes: Option<u64>,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
}

impl ExecutorOptions {
    /// Defaults for an executor of `scheduler`.
    pub fn new(scheduler: ClusterTarget) -> Self {
        Self {
            scheduler,
            bind: "127.0.0.1".into(),
            port: 50051,
            grpc_port: 50052,
            vcores: 0,
            work_dir: None,
            memory_pool_bytes: None,
            heartbeat_seconds: 5,
        }
    }
}

/// Runs an executor until the process is stopped or the scheduler goes away.
pub async fn run_executor(options: ExecutorOptions) -> Result<()> {
    let models = Arc::new(SharedRegistryModels::new());
    let vcores = match options.vcores {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let work_dir = options.work_dir.clone();
    let config = ExecutorProcessConfig {
        bind_host: options.bind.clone(),
        external_host: Some(options.bind.clone()),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host().to_string(),
        scheduler_port: options.scheduler.port(),
        scheduler_connect_timeout_seconds: 10,
        vcores,
        work_dir: options.work_dir.clone(),
        memory_pool_size: options.memory_pool_bytes,
        executor_heartbeat_interval_seconds: options.heartbeat_seconds,
        override_function_registry: Some(Arc::new(executor_registry(&models))),
        override_runtime_producer: Some(Arc::new(move |config: &SessionConfig| {
            runtime_for(config, work_dir.as_deref())
        })),
        override_config_producer: Some(Arc::new(cluster_config)),
        override_physical_codec: Some(Arc::new(FirnPhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(cluster_error)
}
