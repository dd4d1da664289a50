//! `cargo run -p multi-account-demo [-- --framework axum]`: the demo on
//! <http://127.0.0.1:4000>.

use std::process::ExitCode;

use multi_account_demo::{Command, DEMO_PASSWORD, DEMO_USERS, Settings, settings::USAGE};
use tracing_subscriber::EnvFilter;

#[tokio::main]
#[allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program talks to its terminal
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();

    let settings = match Settings::from_env_and_args(std::env::args().skip(1)) {
        Ok(Command::Run(settings)) => settings,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let framework = settings.framework;
    let server = match multi_account_demo::start(settings).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };

    println!();
    println!("  Multi-account demo running at http://{} (on {framework})", server.addr());
    println!("  The same demo as a single-page app (fetch and the JSON API): http://{}/spa", server.addr());
    println!();
    println!("  Sign in with any of these accounts (password: {DEMO_PASSWORD}):");
    for (name, email, status) in DEMO_USERS {
        let note = if status == multi_account_demo::entities::user::UserStatus::Active { "" } else { "  (inactive)" };
        println!("    {email:<20} {name}{note}");
    }
    println!();
    println!("  Press Ctrl-C to stop.");
    println!();

    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
