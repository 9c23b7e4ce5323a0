//! `firn`: the Firn shell. Parses arguments and hands off to `firnml::shell`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use firnml::datagen::GenConfig;
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

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
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
