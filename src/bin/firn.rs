//! `firn`: the Firn shell. Parses arguments and hands off to `firnml::shell`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::time::Duration;

use firnml::DatabaseOptions;
use firnml::datagen::GenConfig;
use firnml::server::run::ServeOptions;
use firnml::server::{self, Credentials, ServerConfig, TlsFiles};
use firnml::shell::{self, Action, Options, OutputFormat};

/// Firn: an embedded analytics database where a model's MLOps loop is plain SQL.
///
/// Without -f or -c, starts an interactive shell (type \? for help).
#[derive(Parser)]
#[command(name = "firn", version, args_conflicts_with_subcommands = true)]
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
    /// Allow a non-loopback address without authentication
    #[arg(long)]
    insecure_no_auth: bool,
}

impl ServeArgs {
    fn into_options(self) -> Result<ServeOptions, server::ServerError> {
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
            database: self.database,
            database_options: DatabaseOptions {
                memory_limit: self.memory_limit,
            },
            config: ServerConfig {
                host: self.host,
                port: self.port,
                credentials,
                tls,
                allowed_paths: self.allow_paths,
                insecure_no_auth: self.insecure_no_auth,
                session_idle_timeout: Duration::from_secs(self.session_idle_timeout),
                max_sessions: self.max_sessions,
            },
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    if let Some(Sub::Serve(args)) = cli.subcommand {
        return match args.into_options() {
            Ok(options) => server::run::run(options).await,
            Err(e) => {
                eprintln!("firn serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Sub::GenData {
        customers,
        seed,
        out_dir,
    }) = cli.subcommand
    {
        return shell::gen_data(&GenConfig {
            customers,
            seed,
            out_dir,
        });
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
    })
    .await
}
