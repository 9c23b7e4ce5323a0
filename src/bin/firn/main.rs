//! `firn`: the Firn command line — the shell, scripts, model cards, the data
//! generator and `firn serve`. Everything here is a front door over the
//! `firnml` library's public API; `main` parses arguments and hands off.

mod cluster;
mod datagen;
mod report;
mod script;
mod shell;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::time::Duration;

use crate::datagen::GenConfig;
use crate::report::ReportOptions;
use crate::shell::{Action, Options, OutputFormat};
use firnml::DatabaseOptions;
use firnml::cluster::{ClusterTarget, ExecutorOptions, SchedulerOptions};
use firnml::server::run::ServeOptions;
use firnml::server::{self, Credentials, ServerConfig, TlsFiles};

/// Firn: an embedded analytics database where a model's MLOps loop is plain SQL.
///
/// Without -f or -c, starts an interactive shell (type \? for help).
/// `firn DB report model NAME[@VERSION] --out DIR` writes a model card.
/// `firn serve [DB]` serves the database over Arrow Flight SQL.
#[derive(Parser)]
#[command(name = "firn", version)]
struct Cli {
    /// DB: a database directory or URL; default: an in-memory database, nothing is written
    #[arg(value_name = "DB")]
    database: Option<String>,
    /// Run the script FILE ('-' for standard input); -f and -c run in the order given
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Run SQL statements and backslash commands, e.g. -c "SELECT 1"
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,
    /// Set a variable used as ${NAME} or ${NAME:-default} in statements
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = shell::parse_assignment)]
    variables: Vec<(String, String)>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// No banner and no confirmations
    #[arg(short, long)]
    quiet: bool,
    /// Rows shown of a table result (0: all); default: 40 in the interactive shell, all in scripts
    #[arg(long, value_name = "N")]
    max_rows: Option<usize>,
    /// Print each statement and command of a script before running it
    #[arg(long)]
    echo: bool,
    /// Run queries on the Ballista cluster whose scheduler is at df://HOST:PORT
    /// (see `firn cluster`); the database must be a directory every node sees
    #[arg(long, value_name = "df://HOST:PORT", global = true, value_parser = parse_cluster)]
    cluster: Option<ClusterTarget>,
    #[command(subcommand)]
    subcommand: Option<Sub>,
}

#[derive(Subcommand)]
enum Sub {
    /// Serve the database over Arrow Flight SQL (ADBC, JDBC, BI tools)
    Serve(Box<ServeArgs>),
    /// Generate the demo data set (customers.csv, orders.csv)
    GenData {
        /// Number of customers
        #[arg(long)]
        customers: u64,
        /// Random seed: the same seed gives the same files
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory (created if missing)
        #[arg(long = "out", value_name = "DIR", default_value = "data")]
        out_dir: PathBuf,
    },
    /// Write a registered model in another format: firn DB export model NAME[@VERSION|@ALIAS] --out FILE
    #[command(override_usage = "firn DB export <COMMAND>")]
    Export {
        #[command(subcommand)]
        what: Export,
    },
    /// Run a process of a Ballista cluster: firn cluster scheduler | executor --scheduler HOST:PORT
    Cluster {
        #[command(subcommand)]
        role: ClusterRole,
    },
    /// Pictures of the database's contents: firn DB report model NAME[@VERSION|@ALIAS] --out DIR
    #[command(override_usage = "firn DB report <COMMAND>")]
    Report {
        #[command(subcommand)]
        what: Report,
    },
}

#[derive(Subcommand)]
enum Report {
    /// An HTML model card (ROC and precision-recall curves, confusion matrix, importance
    /// and SHAP charts as SVG) of a registered model version
    #[command(override_usage = "firn DB report model [OPTIONS] --out <DIR> <MODEL>")]
    Model {
        /// NAME (the default version), NAME@VERSION or NAME@ALIAS
        #[arg(value_name = "MODEL")]
        model: String,
        /// Output directory (created if missing): index.html and one SVG per chart
        #[arg(long = "out", value_name = "DIR")]
        out_dir: PathBuf,
        /// Rows to evaluate: a query or a table name [default: the version's held-out rows,
        /// recomputed from its training query]
        #[arg(long, value_name = "SQL|TABLE")]
        data: Option<String>,
        /// Metrics by the values of a column of the evaluated rows (e.g. a segment)
        #[arg(long, value_name = "COLUMN")]
        by: Option<String>,
        /// Another version scored on the same rows: metrics side by side, both ROC curves
        /// (previous, a version or alias of the same model, or MODEL@VERSION)
        #[arg(long, value_name = "previous|VERSION|MODEL@VERSION")]
        compare: Option<String>,
    },
}

#[derive(Subcommand)]
enum Export {
    /// A model version in XGBoost's JSON model format (XGBoost 1.6-3.x load it and score
    /// like Firn; categorical features become their category codes)
    #[command(override_usage = "firn DB export model --out <FILE> <MODEL>")]
    Model {
        /// NAME (the default version), NAME@VERSION or NAME@ALIAS
        #[arg(value_name = "MODEL")]
        model: String,
        /// The JSON file to write
        #[arg(long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ClusterRole {
    /// The scheduler clients submit queries to and executors register with
    Scheduler {
        /// Address to listen on (loopback by default: the port is unauthenticated)
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Port (0: any free port; the bound address is printed)
        #[arg(long, default_value_t = 50050)]
        port: u16,
        /// Executors registered before the scheduler reports ready (GET /readyz)
        #[arg(long, default_value_t = 1)]
        min_executors: usize,
        /// Seconds without a heartbeat after which an executor is lost and its tasks rerun
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        executor_timeout: u64,
    },
    /// An executor: runs tasks, keeps shuffle files in its work directory
    Executor {
        /// The scheduler, HOST:PORT or df://HOST:PORT
        #[arg(long, value_parser = parse_cluster)]
        scheduler: ClusterTarget,
        /// Address to listen on (loopback by default: the ports are unauthenticated)
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Port of the Flight service other executors fetch shuffle data from
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// Port of the task service the scheduler pushes tasks to
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks run at once (0: one per core)
        #[arg(long, default_value_t = 0)]
        vcores: usize,
        /// Directory for shuffle files (default: a new temporary directory)
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Memory all tasks together may use, e.g. 2G (operators spill beyond it)
        #[arg(long, value_name = "SIZE", value_parser = server::parse_size)]
        memory_pool: Option<usize>,
        /// Seconds between heartbeats to the scheduler
        #[arg(long, value_name = "SECONDS", default_value_t = 5)]
        heartbeat: u64,
    },
}

fn parse_cluster(text: &str) -> Result<ClusterTarget, String> {
    ClusterTarget::parse(text).map_err(|e| e.to_string())
}

/// `firn serve` arguments.
#[derive(clap::Args)]
struct ServeArgs {
    /// DB: a database directory or URL; default: an in-memory database
    #[arg(value_name = "DB")]
    database: Option<String>,
    /// Host name or address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port)
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// Accept this bearer token (repeatable; also FIRN_TOKEN)
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
    /// Credentials file: lines 'token <secret> [name]' and 'user <name> <password|sha256:hex>'
    #[arg(long, value_name = "FILE")]
    auth_file: Option<PathBuf>,
    /// Also listen on this Unix domain socket, for clients on this machine
    /// (grpc+unix://PATH; owner-only permissions, plain even with --tls-cert)
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// TLS certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); needs --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A directory remote sessions may read and write besides the database (repeatable)
    #[arg(long = "allow-path", value_name = "DIR")]
    allow_paths: Vec<PathBuf>,
    /// Memory all queries together may use, e.g. 2G (default: unlimited)
    #[arg(long, value_name = "SIZE", value_parser = server::parse_size)]
    memory_limit: Option<usize>,
    /// Drop a client session idle this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 8 * 60 * 60)]
    session_idle_timeout: u64,
    /// Most client sessions at once
    #[arg(long, default_value_t = 1000)]
    max_sessions: usize,
    /// Stop a statement running longer than this many seconds (0: no limit;
    /// a session may change it with SET firn.statement_timeout_seconds)
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    statement_timeout: u64,
    /// Allow a non-loopback address without authentication
    #[arg(long)]
    insecure_no_auth: bool,
}

impl ServeArgs {
    /// The options, with the database given before the subcommand (`firn DB serve`) as a fallback.
    fn into_options(
        self,
        database: Option<String>,
        cluster: Option<ClusterTarget>,
    ) -> Result<ServeOptions, server::ServerError> {
        let mut credentials = Credentials::new().with_env()?;
        for token in &self.tokens {
            credentials = credentials.with_token(token)?;
        }
        if let Some(file) = &self.auth_file {
            credentials = credentials.with_file(file)?;
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            _ => None,
        };
        Ok(ServeOptions {
            database: self.database.or(database),
            database_options: DatabaseOptions {
                memory_limit: self.memory_limit,
                cluster,
            },
            config: ServerConfig {
                host: self.host,
                port: self.port,
                unix_socket: self.socket,
                credentials,
                tls,
                allowed_paths: self.allow_paths,
                insecure_no_auth: self.insecure_no_auth,
                session_idle_timeout: Duration::from_secs(self.session_idle_timeout),
                max_sessions: self.max_sessions,
                statement_timeout: Duration::from_secs(self.statement_timeout),
            },
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let scripted = !cli.files.is_empty() || !cli.commands.is_empty();
    match cli.subcommand {
        Some(Sub::Serve(_)) if scripted => conflict("serve takes no -f or -c"),
        Some(Sub::Serve(args)) => {
            if cli.database.is_some() && args.database.is_some() {
                conflict("give the database once: firn serve DB")
            }
            let database = cli.database.clone();
            return match args.into_options(database, cli.cluster) {
                Ok(options) => server::run::run(options).await,
                Err(e) => {
                    eprintln!("firn serve: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Sub::GenData { .. }) if cli.database.is_some() || scripted => {
            conflict("gen-data takes no DB, -f or -c")
        }
        Some(Sub::GenData {
            customers,
            seed,
            out_dir,
        }) => {
            return shell::gen_data(&GenConfig {
                customers,
                seed,
                out_dir,
            });
        }
        Some(Sub::Export { .. }) if scripted => conflict("export takes no -f or -c"),
        Some(Sub::Export {
            what: Export::Model { model, out },
        }) => {
            return shell::export_model(shell::ExportOptions {
                database: cli.database,
                model,
                out,
            })
            .await;
        }
        Some(Sub::Cluster { .. })
            if cli.database.is_some() || scripted || cli.cluster.is_some() =>
        {
            conflict("cluster takes no DB, -f, -c or --cluster")
        }
        Some(Sub::Cluster {
            role:
                ClusterRole::Scheduler {
                    bind,
                    port,
                    min_executors,
                    executor_timeout,
                },
        }) => {
            return cluster::scheduler(SchedulerOptions {
                bind,
                port,
                min_executors,
                executor_timeout_seconds: executor_timeout,
            })
            .await;
        }
        Some(Sub::Cluster {
            role:
                ClusterRole::Executor {
                    scheduler,
                    bind,
                    port,
                    grpc_port,
                    vcores,
                    work_dir,
                    memory_pool,
                    heartbeat,
                },
        }) => {
            let mut options = ExecutorOptions::new(scheduler);
            options.bind = bind;
            options.port = port;
            options.grpc_port = grpc_port;
            options.vcores = vcores;
            options.work_dir = work_dir.map(|dir| dir.display().to_string());
            options.memory_pool_bytes = memory_pool.map(|bytes| bytes as u64);
            options.heartbeat_seconds = heartbeat;
            return cluster::executor(options).await;
        }
        Some(Sub::Report { .. }) if scripted => conflict("report takes no -f or -c"),
        Some(Sub::Report {
            what:
                Report::Model {
                    model,
                    out_dir,
                    data,
                    by,
                    compare,
                },
        }) => {
            return report::report_model(ReportOptions {
                database: cli.database,
                model,
                out: out_dir,
                data,
                by,
                compare,
            })
            .await;
        }
        None => {}
    }
    // -f and -c run in the order they were given on the command line.
    let positions = |id: &str| matches.indices_of(id).into_iter().flatten();
    let files = positions("files").zip(cli.files.into_iter().map(Action::File));
    let commands = positions("commands").zip(cli.commands.into_iter().map(Action::Command));
    let mut actions: Vec<(usize, Action)> = files.chain(commands).collect();
    actions.sort_by_key(|(position, _)| *position);

    shell::run(Options {
        database: cli.database,
        actions: actions.into_iter().map(|(_, action)| action).collect(),
        variables: cli.variables,
        format: cli.format,
        quiet: cli.quiet,
        max_rows: cli.max_rows,
        echo: cli.echo,
        database_options: DatabaseOptions {
            cluster: cli.cluster,
            ..DatabaseOptions::default()
        },
    })
    .await
}

/// Exits with clap's usage error for arguments that do not go together.
fn conflict(message: &str) -> ! {
    Cli::command()
        .error(ErrorKind::ArgumentConflict, message)
        .exit()
}
