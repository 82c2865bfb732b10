//! `bootstrap`: the AWS Lambda front door (runtime `provided.al2023`).
//!
//! Everything is built once at init, before the first invocation: configuration from the
//! environment (the same `TESSERA_*` variables as `tessera serve`), the store and its S3
//! client, the caches, and libvips with one worker thread per vCPU for each render (renders
//! at once default to twice the vCPUs plus one; Lambda sizes the vCPUs with the memory
//! setting). Logs are JSON lines unless `TESSERA_LOG_FORMAT` says otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tessera::config::{Config, LogFormat};
use tessera::service::App;

fn main() -> ExitCode {
    point_libvips_at_bundled_modules();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("bootstrap: bad configuration: {err}");
            return ExitCode::FAILURE;
        }
    };
    tessera::logging::init(config.log_format.unwrap_or(LogFormat::Json));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bootstrap: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Init and the invocation loop are two futures, not one: together (the AWS config
    // loader inside the runtime's service stack) they exceed the compiler's type depth.
    let threads = config.render_threads();
    let app = match runtime.block_on(App::new(config)) {
        Ok(app) => Arc::new(app),
        Err(err) => {
            tracing::error!(error = %err, "bootstrap failed to initialise");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(libvips_threads = threads, "tessera lambda initialised");
    match runtime.block_on(tessera::doors::lambda::run(app)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "bootstrap failed");
            ExitCode::FAILURE
        }
    }
}

/// The bundle (scripts/package-lambda) carries libvips' HEIF module in
/// `vips/<multiarch>/vips-modules-X.Y` beside `bootstrap`, where libvips looks when
/// `VIPSHOME` names that `vips` folder; without it AVIF could not be written. The
/// bundle's directory is
/// `LAMBDA_TASK_ROOT` (which Lambda and `sam local` set), else the executable's (which
/// needs /proc). Set before any thread starts (setting the environment while another
/// thread reads it is a data race in glibc), and only when the folder is there and
/// `VIPSHOME` is not set already.
fn point_libvips_at_bundled_modules() {
    if std::env::var_os("VIPSHOME").is_some() {
        return;
    }
    let task_root = std::env::var_os("LAMBDA_TASK_ROOT").map(PathBuf::from);
    let exe_dir = || {
        let exe = std::env::current_exe().ok()?;
        exe.parent().map(Path::to_path_buf)
    };
    let bundled = task_root
        .into_iter()
        .chain(exe_dir())
        .map(|dir| dir.join("vips"))
        .find(|vips| vips.is_dir());
    if let Some(home) = bundled {
        std::env::set_var("VIPSHOME", home);
    }
}
