use clap::Parser;
use kassa::config::{Cli, Command, UserCommand};
use std::io::Write;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: rendering a checkout page allocates and frees thousands
/// of small strings and views on tokio's worker threads, and glibc's malloc and free were a third
/// of the page's CPU (perf, `bench/run`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::User(UserCommand::Create {
            email,
            organization,
        }) => {
            let password = match std::env::var("KASSA_USER_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    let _ = std::io::stdin().read_line(&mut line);
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            kassa::server::create_user(settings, &email, &password, &organization)
                .await
                .map(|created| {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&created).expect("the account serializes")
                    );
                })
        }
        Command::Keys(command) => {
            kassa::cli::keys(settings, command, &mut std::io::stdout().lock()).await
        }
        Command::Listen {
            forward_to,
            events,
            api,
        } => {
            kassa::cli::listen(
                api,
                &forward_to,
                &events,
                &mut std::io::stdout(),
                kassa::server::shutdown_signal(),
            )
            .await
        }
        Command::Trigger { event, api } => {
            kassa::cli::trigger(api, event, &mut std::io::stdout().lock()).await
        }
        Command::Backup { file } => {
            kassa::cli::backup(settings, &file, &mut std::io::stdout().lock()).await
        }
    };
    let _ = std::io::stdout().flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(
            error @ (kassa::server::RunError::MissingEncryptionKey
            | kassa::server::RunError::Refused(_)),
        ) => {
            eprintln!("kassa: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("kassa: {error}");
            ExitCode::FAILURE
        }
    }
}
