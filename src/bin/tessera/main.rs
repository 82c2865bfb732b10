//! The `tessera` command line: `tessera serve` runs the standalone server. Every flag is
//! also an environment variable (see the README), so the same settings drive the Lambda.
//! `create-metadata`, `convert` and `inspect` are the operator tools (`tools.rs`).

mod tools;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tessera::config::{empty_env_is_unset, Config, LogFormat};
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
        config: Box<Config>,
    },
    /// Write width, height, levels and tile size of S3 images into their user metadata.
    CreateMetadata(tools::CreateMetadata),
    /// Make a pyramid TIFF (JPEG Q85 YCbCr, 512 tiles, metadata stripped by default).
    Convert(tools::Convert),
    /// Show an image's levels, tiles and compression, and what will make serving it slow.
    Inspect(tools::Inspect),
}

fn main() -> ExitCode {
    // Empty TESSERA_* variables count as unset, as on the Lambda (config::empty_env_is_unset).
    let cli = empty_env_is_unset(Cli::command())
        .try_get_matches()
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches))
        .unwrap_or_else(|err| err.exit());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("tessera: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve { listen, config } => {
            runtime.block_on(serve(listen, *config)).map(|()| true)
        }
        Command::CreateMetadata(args) => runtime.block_on(args.run()),
        Command::Convert(args) => args.run(),
        Command::Inspect(args) => runtime.block_on(args.run()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        // The command ran and reported its failures (e.g. some objects failed).
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("tessera: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, config: Config) -> Result<(), String> {
    tessera::logging::init(config.log_format.unwrap_or(LogFormat::Text));
    let app = Arc::new(App::new(config).await?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %local, "tessera listening (HTTP/1.1 and h2c)");
    tessera::doors::server::serve(listener, app, tessera::doors::server::shutdown_signal()).await;
    Ok(())
}
