//! Every setting Tessera reads, in one struct, parsed once at start.
//!
//! Each field is both a command-line flag of `tessera serve` and an environment variable
//! (`TESSERA_*`), so the Lambda (which has no command line) and the standalone server share
//! one definition, one set of defaults and one validation. Nothing deeper in the crate reads
//! the environment.

use crate::render::Encoding;
use crate::source::{BlockCache, S3Credentials, S3Settings, S3Store};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where images come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// A directory on local disk (`TESSERA_ROOT`).
    File,
    /// An S3 bucket (`TESSERA_BUCKET`), read by byte ranges.
    S3,
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which request metrics are produced (see `crate::metrics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MetricsMode {
    /// EMF lines on Lambda, `GET /metrics` on the standalone server.
    Auto,
    /// EMF lines on stdout, whatever the front door (e.g. a server under the CloudWatch agent).
    Emf,
    /// `GET /metrics` on the standalone server only.
    Prometheus,
    /// EMF lines everywhere and `GET /metrics` on the standalone server.
    Both,
    /// Neither (the request log line still carries every number).
    Off,
}

/// All configuration. See the README's table for the environment variable of each field.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Where images come from.
    #[arg(long, env = "TESSERA_SOURCE", value_enum, default_value = "file")]
    pub source: SourceKind,

    /// Root directory of the file source.
    #[arg(long, env = "TESSERA_ROOT", default_value = "images")]
    pub root: PathBuf,

    /// Identifier-to-file/key template: `{id}` is replaced by the decoded identifier
    /// (serverless-iiif's `%s` is accepted too). Empty: the identifier as is, else the first
    /// file named `{id}.<known image extension>`.
    #[arg(long, env = "TESSERA_KEY_TEMPLATE", default_value = "")]
    pub key_template: String,

    /// S3 bucket of the S3 source.
    #[arg(long, env = "TESSERA_BUCKET", default_value = "")]
    pub bucket: String,

    /// How to reach S3 (endpoint, addressing, region, attempts).
    #[command(flatten)]
    pub s3: S3Config,

    /// Block size of the range-read cache under remote sources, in bytes.
    #[arg(long, env = "TESSERA_BLOCK_SIZE", default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(4096..=16_777_216))]
    pub block_size: u64,

    /// Memory the block cache may hold, in bytes. Unset: its share of the memory budget
    /// (a quarter); set, it is taken out of the budget before the other shares.
    #[arg(long, env = "TESSERA_BLOCK_CACHE_BYTES")]
    pub block_cache_bytes: Option<u64>,

    /// The one memory budget, in bytes, shared by the block cache, the opened images and
    /// the renders in flight (see `images/budget.rs`). Unset: three quarters of the
    /// Lambda's memory size, else half the machine's (or the container's) memory.
    #[arg(long, env = "TESSERA_MEMORY_BUDGET")]
    pub memory_budget: Option<u64>,

    /// The Lambda's memory size in MB, which the platform sets; only the default of the
    /// memory budget reads it.
    #[arg(long, env = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", hide = true)]
    pub lambda_memory_mb: Option<u64>,

    /// Most pixels one request may decode (a whole-object image counts its stored size, a
    /// tiled level the tiles under the region); beyond it the answer is 501 naming the
    /// remedy, a pyramid TIFF. The default is sharp's `limitInputPixels` (16383 squared).
    #[arg(long, env = "TESSERA_MAX_DECODE_PIXELS", default_value_t = 268_402_689, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_decode_pixels: u64,

    /// Directory for whole objects (JPEG, PNG, JPEG 2000, untiled TIFF) fetched from S3;
    /// a fresh subfolder is made inside it. Default: the system temp dir (/tmp on Lambda).
    #[arg(long, env = "TESSERA_DISK_CACHE_DIR")]
    pub disk_cache_dir: Option<PathBuf>,

    /// Bytes the whole-object disk cache may hold. Default: three quarters of the file
    /// system holding the cache directory (on Lambda, of EphemeralStorageSize; at most
    /// 8 GiB), so the rest stays for libvips' and the runtime's own temporary files.
    #[arg(long, env = "TESSERA_DISK_CACHE_BYTES")]
    pub disk_cache_bytes: Option<u64>,

    /// Whole-object downloads running at once; the others wait for a turn before they
    /// start (their requests' deadlines still apply).
    #[arg(long, env = "TESSERA_DOWNLOAD_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub download_concurrency: u16,

    /// Public base URL that replaces scheme://host[:port] in info.json `id` and redirects,
    /// e.g. `https://images.example.org`. Empty: from X-Forwarded-* or Host.
    #[arg(long, env = "TESSERA_PUBLIC_BASE_URL", default_value = "")]
    pub public_base_url: String,

    /// Access-Control-Allow-Origin: `*`; `reflect` to echo any request's Origin; or a
    /// comma-separated list of origins, of which the request's is echoed. Anything but `*`
    /// answers `Vary: Origin`.
    #[arg(long, env = "TESSERA_CORS_ORIGIN", default_value = "*")]
    pub cors_origin: String,

    /// Send `Access-Control-Allow-Credentials: true`; a `*` origin then echoes the
    /// request's Origin instead, as the CORS spec requires.
    #[arg(long, env = "TESSERA_CORS_CREDENTIALS", default_value_t = false, action = clap::ArgAction::Set)]
    pub cors_credentials: bool,

    /// Access-Control-Expose-Headers: response headers a viewer's script may read.
    #[arg(
        long,
        env = "TESSERA_CORS_EXPOSE_HEADERS",
        default_value = "Link, ETag, Content-Length"
    )]
    pub cors_expose_headers: String,

    /// Access-Control-Max-Age of a preflight answer, in seconds.
    #[arg(long, env = "TESSERA_CORS_MAX_AGE", default_value_t = 86_400)]
    pub cors_max_age: u32,

    /// Cache-Control of successful responses (errors are always `no-store`). The default
    /// lets a shared cache (CloudFront) keep a year (`s-maxage`), which an invalidation
    /// can clear, and browsers, which nothing can clear, revalidate after a day.
    #[arg(
        long,
        env = "TESSERA_CACHE_CONTROL",
        default_value = "public, max-age=86400, s-maxage=31536000"
    )]
    pub cache_control: String,

    /// Largest output width (declared as maxWidth).
    #[arg(long, env = "TESSERA_MAX_WIDTH", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_width: u32,

    /// Largest output height (declared as maxHeight).
    #[arg(long, env = "TESSERA_MAX_HEIGHT", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_height: u32,

    /// Largest output area in pixels (declared as maxArea).
    #[arg(long, env = "TESSERA_MAX_AREA", default_value_t = 100_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_area: u64,

    /// Allow `^` upscaling (within the limits above).
    #[arg(long, env = "TESSERA_UPSCALING", default_value_t = true, action = clap::ArgAction::Set)]
    pub upscaling: bool,

    /// A rights URI for info.json (`rights` in 3.0, `license` in 2.1).
    #[arg(long, env = "TESSERA_RIGHTS")]
    pub rights: Option<String>,

    /// Honour `x-preflight-location` and `x-preflight-dimensions` (serverless-iiif's
    /// headers, set by a trusted function in front: see the README's "Hooks"). Off, they
    /// are ignored, since any client can send them.
    #[arg(long, env = "TESSERA_PREFLIGHT", default_value_t = false, action = clap::ArgAction::Set)]
    pub preflight: bool,

    /// JPEG quality of responses, 1-100.
    #[arg(long, env = "TESSERA_JPEG_QUALITY", default_value_t = Encoding::DEFAULT.jpeg_quality, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,

    /// Optimised Huffman tables in JPEG responses (a second pass over each image).
    #[arg(long, env = "TESSERA_JPEG_OPTIMIZE", default_value_t = Encoding::DEFAULT.jpeg_optimize, action = clap::ArgAction::Set)]
    pub jpeg_optimize: bool,

    /// WebP quality of responses, 1-100 (bitonal WebP is lossless).
    #[arg(long, env = "TESSERA_WEBP_QUALITY", default_value_t = Encoding::DEFAULT.webp_quality, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub webp_quality: u8,

    /// AVIF quality of responses, 1-100.
    #[arg(long, env = "TESSERA_AVIF_QUALITY", default_value_t = Encoding::DEFAULT.avif_quality, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub avif_quality: u8,

    /// AVIF encoder effort, 0 (fastest) to 9 (smallest files, many times slower).
    #[arg(long, env = "TESSERA_AVIF_EFFORT", default_value_t = Encoding::DEFAULT.avif_effort, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub avif_effort: u8,

    /// Formats listed as preferredFormats in info.json, comma-separated.
    #[arg(long, env = "TESSERA_PREFERRED_FORMATS", default_value = "jpg")]
    pub preferred_formats: String,

    /// Renders running at once (default: twice the number of CPUs, plus one).
    #[arg(long, env = "TESSERA_RENDER_CONCURRENCY")]
    pub render_concurrency: Option<usize>,

    /// libvips worker threads per render (default: the number of CPUs).
    #[arg(long, env = "TESSERA_RENDER_THREADS")]
    pub render_threads: Option<usize>,

    /// How long a request may wait for a render slot before it gets 503 (milliseconds).
    #[arg(long, env = "TESSERA_QUEUE_TIMEOUT_MS", default_value_t = 20_000)]
    pub queue_timeout_ms: u64,

    /// Time budget of one request (milliseconds) when the front door gives no deadline
    /// (the standalone server; on Lambda the invocation's own deadline is used): HEAD,
    /// directory walk, download, render and encode must fit, else 503 + Retry-After.
    #[arg(long, env = "TESSERA_REQUEST_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(2_000..=900_000))]
    pub request_timeout_ms: u64,

    /// Standalone server: time a client has to send a complete request head, and to send
    /// the first one after connecting (milliseconds); an HTTP/1.1 connection waiting for its
    /// next request is closed after it too. Slow or stalled heads are cut off.
    #[arg(long, env = "TESSERA_HEADER_READ_TIMEOUT_MS", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub header_read_timeout_ms: u64,

    /// Standalone server: a connection with no request in flight that moves no byte for
    /// this long is closed (milliseconds).
    #[arg(long, env = "TESSERA_IDLE_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub idle_timeout_ms: u64,

    /// Standalone server: connections served at once; more wait in the listen backlog
    /// until one closes.
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Lambda response streaming's rate after the first 6 MB, in bytes per second (AWS
    /// documents 2 MB/s); a response that could not stream out before the invocation's
    /// deadline is answered 503 instead of being cut off after its 200 headers.
    #[arg(long, env = "TESSERA_STREAM_BYTES_PER_SEC", default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub stream_bytes_per_sec: u64,

    /// Opened libvips images kept for reuse (also bounded in bytes by their share of the
    /// memory budget).
    #[arg(long, env = "TESSERA_OPENED_IMAGES", default_value_t = 64)]
    pub opened_images: usize,

    /// Image facts (sizes, levels) kept in memory.
    #[arg(long, env = "TESSERA_INFO_CACHE_ENTRIES", default_value_t = 10_000)]
    pub info_cache_entries: usize,

    /// Seconds to trust cached image facts before checking the source again.
    #[arg(long, env = "TESSERA_INFO_CACHE_TTL", default_value_t = 300)]
    pub info_cache_ttl_secs: u64,

    /// Seconds a failed HEAD or directory walk is answered again without asking the store
    /// (errors are always sent `no-store`); 0 forgets failures at once.
    #[arg(long, env = "TESSERA_FAILURE_CACHE_TTL", default_value_t = 5)]
    pub failure_cache_ttl_secs: u64,

    /// Directory holding the OpenSeadragon build served under /viewer/openseadragon/.
    #[arg(
        long,
        env = "TESSERA_VIEWER_ASSETS",
        default_value = "node_modules/openseadragon/build/openseadragon"
    )]
    pub viewer_assets: PathBuf,

    /// Directory holding Mirador's self-contained UMD build (`mirador.min.js`), served
    /// under /viewer/mirador/.
    #[arg(
        long,
        env = "TESSERA_MIRADOR_ASSETS",
        default_value = "node_modules/mirador/dist"
    )]
    pub mirador_assets: PathBuf,

    /// Log format; unset, each front door picks its own (text for `tessera serve`, JSON
    /// for the Lambda, whose CloudWatch wants one object per line).
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Request metrics: CloudWatch EMF lines on stdout (Lambda) and/or `GET /metrics`
    /// (standalone server).
    #[arg(long, env = "TESSERA_METRICS", value_enum, default_value = "auto")]
    pub metrics: MetricsMode,

    /// CloudWatch namespace of the EMF metrics.
    #[arg(long, env = "TESSERA_METRICS_NAMESPACE", default_value = "Tessera")]
    pub metrics_namespace: String,

    /// The Lambda function's name (set by Lambda): the EMF metrics' `Function` dimension,
    /// so two stacks in one account chart apart.
    #[arg(long, env = "AWS_LAMBDA_FUNCTION_NAME", hide = true)]
    pub lambda_function_name: Option<String>,
}

/// How to reach S3: the one definition of these flags and variables, flattened into
/// [`Config`] for the server and the Lambda, into the tool subcommands, and read from the
/// environment alone by the metadata Lambda. Credentials are not settings: they come from
/// the standard AWS chain (tests and benchmarks pass static keys to [`S3Config::store_with`]).
#[derive(Clone, Debug, Args)]
pub struct S3Config {
    /// Custom S3 endpoint URL (S3-compatible stores, tests).
    #[arg(long, env = "TESSERA_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// Use path-style S3 addressing (needed by most S3-compatible stores).
    #[arg(long, env = "TESSERA_S3_PATH_STYLE", default_value_t = false)]
    pub s3_path_style: bool,

    /// AWS region of the bucket (Lambda sets AWS_REGION).
    // `--s3-region` was the server's name and `--region` the tools'; both are kept, everywhere.
    #[arg(long = "s3-region", visible_alias = "region", env = "AWS_REGION", default_value = S3Config::DEFAULT_REGION)]
    pub s3_region: String,

    /// Attempts per S3 call (the first included), with backoff between them.
    #[arg(long, env = "TESSERA_S3_MAX_ATTEMPTS", default_value_t = S3Config::DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub s3_max_attempts: u32,
}

impl S3Config {
    pub const DEFAULT_REGION: &'static str = "us-east-1";
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

    /// An S3-compatible server at `endpoint` (tests, benchmarks): path-style addressing,
    /// since `bucket.127.0.0.1` does not resolve, and the default region and attempts.
    pub fn at_endpoint(endpoint: &str) -> S3Config {
        S3Config {
            s3_endpoint: Some(endpoint.to_owned()),
            s3_path_style: true,
            s3_region: S3Config::DEFAULT_REGION.to_owned(),
            s3_max_attempts: S3Config::DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The client settings; an empty endpoint means AWS itself.
    pub fn settings(&self, credentials: S3Credentials) -> S3Settings {
        S3Settings {
            region: self.s3_region.clone(),
            endpoint_url: self.s3_endpoint.clone().filter(|e| !e.is_empty()),
            force_path_style: self.s3_path_style,
            max_attempts: self.s3_max_attempts,
            credentials,
        }
    }

    /// The store, with the standard AWS credential chain, over `cache`.
    pub async fn store(&self, cache: Arc<BlockCache>) -> S3Store {
        self.store_with(S3Credentials::Standard, cache).await
    }

    /// The store with the given credentials over `cache`.
    pub async fn store_with(&self, credentials: S3Credentials, cache: Arc<BlockCache>) -> S3Store {
        S3Store::new(&self.settings(credentials), cache).await
    }
}

/// `cmd` with every argument whose environment variable is set but empty treated as
/// unset, here and in its subcommands. The Lambda console, a template's `!If` that SAM's
/// local emulation resolves to "", or `VAR= tessera serve` leave variables empty; clap
/// would parse "" as a value (an endpoint of "", a byte count that fails), while an
/// operator means "the default".
pub fn empty_env_is_unset(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.mut_args(|arg| {
        let empty = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.is_empty());
        if empty {
            arg.env(None::<&'static str>)
        } else {
            arg
        }
    });
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    names.into_iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, empty_env_is_unset)
    })
}

/// Parses `P` from the environment alone (no arguments but the program name), empty
/// variables counting as unset.
pub fn parse_env_only<P: clap::Parser>(program: &str) -> Result<P, clap::Error> {
    let mut matches = empty_env_is_unset(P::command()).try_get_matches_from([program])?;
    P::from_arg_matches_mut(&mut matches)
}

impl Config {
    /// Reads the configuration from the environment alone (the Lambda and tests).
    pub fn from_env() -> Result<Config, clap::Error> {
        #[derive(clap::Parser)]
        struct EnvOnly {
            #[command(flatten)]
            config: Config,
        }
        parse_env_only::<EnvOnly>("tessera").map(|e| e.config)
    }

    /// The encoder settings of responses.
    pub fn encoding(&self) -> Encoding {
        Encoding {
            jpeg_quality: self.jpeg_quality,
            jpeg_optimize: self.jpeg_optimize,
            webp_quality: self.webp_quality,
            avif_quality: self.avif_quality,
            avif_effort: self.avif_effort,
        }
    }

    /// Renders at once: the setting, or twice the CPUs plus one. A render is not all CPU
    /// (reads, hand-offs between libvips' threads, the ends of each pass where one thread
    /// finishes alone): with one render more than the CPUs, each of three libvips threads,
    /// re-encoded requests at concurrency 10 left 11-16% of two cores idle (IIPImage's
    /// processes 1-3%). Five renders of two threads each: idle 6-7%, `full/!1000,1000`
    /// 304-378 -> 407-463 requests/s, 1000x1000 crops 123-139 -> 144-156, and less CPU per
    /// request (fewer threads contending); six added nothing more. See
    /// [`Config::render_threads`] for the threads.
    pub fn render_slots(&self) -> usize {
        self.render_concurrency
            .unwrap_or_else(|| 2 * cpus() + 1)
            .max(1)
    }

    /// libvips' worker threads per render: the setting, or the CPUs (one request alone
    /// still uses every core; under load the renders side by side do). Measured with
    /// five renders on two cores: one thread each lost 5-10% on crops, three gained
    /// nothing over two.
    pub fn render_threads(&self) -> usize {
        self.render_threads.unwrap_or_else(cpus).max(1)
    }

    pub fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.queue_timeout_ms)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn info_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.info_cache_ttl_secs)
    }

    pub fn failure_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.failure_cache_ttl_secs)
    }
}

/// The CPUs this process may use.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
