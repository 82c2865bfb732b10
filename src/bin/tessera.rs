//! The `tessera` command line: `tessera serve` runs the standalone server. Every flag is
//! also an environment variable (see the README), so the same settings drive the Lambda.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tessera::config::Config;
use tessera::service::App;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "IIIF Image API 3.0/2.1 server on libvips"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve IIIF over HTTP/1.1 and h2c.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        config: Config,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("tessera: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve { listen, config } => runtime.block_on(serve(listen, config)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tessera: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, config: Config) -> Result<(), String> {
    tessera::logging::init(config.log_format);
    let app = Arc::new(App::new(config).await?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %local, "tessera listening (HTTP/1.1 and h2c)");
    tessera::server::serve(listener, app, tessera::server::shutdown_signal()).await;
    Ok(())
}
