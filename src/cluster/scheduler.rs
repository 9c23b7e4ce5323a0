//! `firn cluster scheduler`: a Ballista scheduler that knows Firn's functions
//! and plan nodes. It keeps its state in memory (a restart fails the queries
//! running then) and is the one process clients and executors connect to.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use crate::cluster::codec::FirnPhysicalCodec;
use crate::cluster::functions::scheduler_state;
use crate::cluster::settings::cluster_config;
use crate::cluster::shared_models::SharedRegistryModels;
use crate::error::{Error, Result};

/// How a scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to listen on (loopback unless the cluster spans machines).
    pub bind: String,
    /// Port (0: any free port; the bound address is reported).
    pub port: u16,
    /// Executors that must be registered before `/readyz` answers 200.
    pub min_executors: usize,
    /// Seconds without a heartbeat after which an executor counts as lost and
    /// its tasks are run elsewhere.
    pub executor_timeout_seconds: u64,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1".into(),
            port: 50050,
            min_executors: 1,
            executor_timeout_seconds: 30,
        }
    }
}

/// Runs a scheduler until the process ends; `listening` is told the bound
/// address once clients and executors can connect.
pub async fn run_scheduler(
    options: SchedulerOptions,
    listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((options.bind.as_str(), options.port))
        .await
        .map_err(|e| {
            Error::io(
                format!("cannot listen on {}:{}", options.bind, options.port),
                e,
            )
        })?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the scheduler's address", e))?;
    let models = Arc::new(SharedRegistryModels::new());
    let config = SchedulerConfig {
        bind_host: options.bind.clone(),
        bind_port: address.port(),
        external_host: address.ip().to_string(),
        // Spread tasks over executors rather than filling one first.
        task_distribution: TaskDistributionPolicy::RoundRobin,
        min_ready_executors: options.min_executors,
        executor_timeout_seconds: options.executor_timeout_seconds,
        no_executors_grace_period_seconds: options.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: (options.executor_timeout_seconds / 3).max(1),
        override_config_producer: Some(Arc::new(cluster_config)),
        override_session_builder: Some(Arc::new(move |config| scheduler_state(config, &models))),
        override_physical_codec: Some(Arc::new(FirnPhysicalCodec::default())),
        ..SchedulerConfig::default()
    };
    config.validate().map_err(cluster_error)?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(cluster_error)?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config))
            .await
            .map_err(cluster_error)?;
    listening(address);
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(cluster_error)
}

/// A Ballista error as Firn's.
pub(crate) fn cluster_error(error: ballista_core::error::BallistaError) -> Error {
    Error::DataFusion(datafusion::error::DataFusionError::External(Box::new(
        error,
    )))
}
