//! `firn serve`: opens the database, starts the server, reports where it
//! listens and serves until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;

use crate::database::{Database, DatabaseOptions};
use crate::server::{ServerConfig, start};

/// What `firn serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database location; `None` is an in-memory database.
    pub database: Option<String>,
    /// How to open it (the memory limit).
    pub database_options: DatabaseOptions,
    /// The server's settings.
    pub config: ServerConfig,
}

/// Runs the server until Ctrl-C; the exit code says whether it started.
pub async fn run(options: ServeOptions) -> ExitCode {
    super::allocator::keep_freed_memory_for_reuse();
    let location = options.database.as_deref().unwrap_or(":memory:");
    let db = match Database::open_with(location, options.database_options.clone()).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("firn serve: cannot open '{location}': {e}");
            return ExitCode::FAILURE;
        }
    };
    for warning in db.warnings() {
        eprintln!("warning: {warning}");
    }
    let config = options.config;
    let scheme = if config.tls.is_some() {
        "grpc+tls"
    } else {
        "grpc"
    };
    let auth = if config.credentials.is_empty() {
        "none (every client is anonymous)".to_string()
    } else {
        "required".to_string()
    };
    let allowed = if config.allowed_paths.is_empty() {
        "the database directory only".to_string()
    } else {
        let paths: Vec<String> = config
            .allowed_paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        format!("the database directory and {}", paths.join(", "))
    };
    let memory = match options.database_options.memory_limit {
        Some(bytes) => format!("{} MiB", bytes / (1024 * 1024)),
        None => "unlimited".to_string(),
    };
    let database = db.location();
    let execution = match db.cluster() {
        Some(cluster) => format!("on the Ballista cluster at {cluster}"),
        None => "in this process".to_string(),
    };
    let server = match start(db, config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("firn serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A closed standard output (a detached server) must not stop the server,
    // so these writes ignore errors where println! would panic.
    let mut out = std::io::stdout();
    let local = match server.unix_socket() {
        Some(path) => format!("\n  local clients: grpc+unix://{}", path.display()),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Firn Flight SQL server on {scheme}://{}{local}\n  database: {database}\n  \
         authentication: {auth}\n  remote file access: {allowed}\n  query memory: {memory}\n  \
         queries run: {execution}\n\
         Press Ctrl-C to stop.",
        server.local_addr()
    );
    let _ = out.flush();
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling available: serve until the process is killed.
            std::future::pending::<()>().await;
        }
    };
    match server.serve_until(stop).await {
        Ok(()) => {
            let _ = writeln!(std::io::stdout(), "stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("firn serve: {e}");
            ExitCode::FAILURE
        }
    }
}
