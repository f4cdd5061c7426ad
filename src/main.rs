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
    /// Chat with the bot in this terminal: the sandbox supplier and an in-memory store
    /// unless BINO_* settings say otherwise. No credentials needed.
    Chat {
        /// Replay the lines of this file as the traveller's messages, then wait for the eSIM.
        #[arg(long)]
        script: Option<std::path::PathBuf>,
        /// Where to save QR code images (default: the system's temporary directory).
        #[arg(long)]
        qr_dir: Option<std::path::PathBuf>,
    },
    /// Serve the HTTP API and run the background workers (settings from BINO_* variables).
    Serve,
    /// Print the sandbox catalog's size: packages, countries, regions and global plans.
    CatalogStats,
    /// Print how a traveller's message is understood, as one JSON object.
    Discover {
        /// The message, in any language ("eSIM for Japan and Korea, 10 days").
        text: String,
    },
    /// Score the local destination reader on a labelled TSV file and print the figures.
    EvalDiscovery {
        /// Lines of `query<TAB>codes<TAB>days<TAB>GB` (codes comma-separated, GLOBAL, or empty).
        file: std::path::PathBuf,
        /// Also list every query read wrongly.
        #[arg(long)]
        misses: bool,
        /// Read through the LLM as configured (BINO_LLM_*), not the local reader alone.
        #[arg(long)]
        llm: bool,
    },
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
    // The chat shares the terminal with the conversation: only errors are worth showing.
    let default_filter = match cli.command {
        Command::Chat { .. } => "error",
        _ => bino::telemetry::DEFAULT_LOG_FILTER,
    };
    bino::telemetry::init_logs(settings.log_format, default_filter);

    let outcome = match cli.command {
        Command::Chat { script, qr_dir } => {
            let options = bino::chat::ChatOptions {
                script,
                qr_dir: qr_dir.unwrap_or_else(|| std::env::temp_dir().join("bino")),
            };
            bino::chat::run(settings, options).await
        }
        Command::Serve => bino::app::serve(settings).await,
        Command::CatalogStats => {
            println!("{}", bino::supply::sandbox::catalog_stats());
            Ok(())
        }
        Command::Discover { text } => discover(&settings, &text).await,
        Command::EvalDiscovery { file, misses, llm } => {
            eval_discovery(&settings, &file, misses, llm).await
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

async fn discover(settings: &Settings, text: &str) -> anyhow::Result<()> {
    let discovery = bino::app::discovery_from(settings);
    let query = discovery.understand(text).await;
    println!("{}", serde_json::to_string(&query)?);
    Ok(())
}

async fn eval_discovery(
    settings: &Settings,
    file: &std::path::Path,
    show_misses: bool,
    llm: bool,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use bino::discovery::eval;

    let text = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let cases = eval::parse_cases(&text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{} has malformed lines:\n  {}",
            file.display(),
            lines.join("\n  ")
        )
    })?;

    if llm && settings.llm_base_url.is_none() {
        anyhow::bail!(
            "--llm needs an LLM: set BINO_LLM_BASE_URL and BINO_LLM_MODEL (and BINO_LLM_API_KEY)"
        );
    }
    let report = if llm {
        let discovery = bino::app::discovery_from(settings);
        let mut readings = Vec::with_capacity(cases.len());
        for case in &cases {
            let started = std::time::Instant::now();
            readings.push((discovery.understand(&case.query).await, started.elapsed()));
        }
        let mut latencies: Vec<_> = readings.iter().map(|(_, took)| *took).collect();
        let mut answers = readings.into_iter().map(|(query, _)| query);
        let mut report = eval::evaluate(&cases, |_| answers.next().unwrap_or_default());
        // The awaited calls were timed above; scoring replays their answers instantly.
        latencies.sort();
        report.latencies = latencies;
        report
    } else {
        let reader = bino::discovery::local::LocalExtractor::global();
        eval::evaluate(&cases, |query| reader.read(query).query)
    };

    println!("{report}");
    if show_misses {
        for miss in &report.misses {
            let got: Vec<&str> = miss.got.countries.iter().map(|c| c.as_str()).collect();
            let expected: Vec<&str> = miss.case.countries.iter().map(|c| c.as_str()).collect();
            println!(
                "line {}: {:?} expected {}{} got {}{}",
                miss.case.line,
                miss.case.query,
                expected.join(","),
                if miss.case.global { "GLOBAL" } else { "" },
                got.join(","),
                if miss.got.global { "GLOBAL" } else { "" },
            );
        }
    }
    Ok(())
}
