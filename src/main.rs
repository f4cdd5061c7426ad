//! The `bino` command: a thin shell over the library.

use clap::{Parser, Subcommand};

use bino::config::Settings;

/// Travel eSIMs through chat and a supply API.
#[derive(Parser)]
#[command(name = "bino", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and run the background workers (settings from BINO_* variables).
    Serve,
    /// Print the sandbox catalog's size: packages, countries, regions and global plans.
    CatalogStats,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("bino: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    bino::telemetry::init_logs(settings.log_format);

    let outcome = match cli.command {
        Command::Serve => bino::app::serve(settings).await,
        Command::CatalogStats => {
            println!("{}", bino::supply::sandbox::catalog_stats());
            Ok(())
        }
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bino: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
