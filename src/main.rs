use clap::Parser;
use kassa::config::{Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings.validate() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("kassa: {error}");
            return ExitCode::from(2);
        }
    };
    kassa::telemetry::init(&settings.log, settings.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => kassa::server::serve(settings).await,
        Command::Migrate => kassa::server::migrate(settings).await,
        Command::Demo => kassa::server::demo(settings).await.map(|report| {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("the report serializes")
            );
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ kassa::server::RunError::MissingEncryptionKey) => {
            eprintln!("kassa: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("kassa: {error}");
            ExitCode::FAILURE
        }
    }
}
