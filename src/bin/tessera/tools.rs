//! The tool subcommands' flags and their glue to `tessera::tools`: parse, call the library,
//! print, choose the exit status. No logic lives here.

use std::path::PathBuf;
use tessera::config::S3Config;
use tessera::source::{FileStore, S3Store, Source};
use tessera::tools::convert::{convert, BigTiff, Compression, ConvertOptions};
use tessera::tools::inspect::inspect;
use tessera::tools::metadata::{self, CopyPolicy, KeyFilter, ProgressMode, RunOptions, S3Url};

/// `tessera create-metadata`.
#[derive(clap::Args)]
pub struct CreateMetadata {
    /// `s3://bucket/prefix` (every object under it), or with --object one object's key.
    url: String,
    /// Treat the URL as one object's key, not a prefix.
    #[arg(long)]
    object: bool,
    /// Report what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Objects processed at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Only keys matching this glob (repeatable; `*` stops at `/`, `**` does not).
    #[arg(long)]
    include: Vec<String>,
    /// Skip keys matching this glob (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
    /// Objects larger than this many bytes are copied in parts (S3's single-copy limit).
    #[arg(long, default_value_t = metadata::SINGLE_COPY_LIMIT, hide = true)]
    multipart_threshold: u64,
    #[command(flatten)]
    s3: S3Config,
}

impl CreateMetadata {
    /// Runs and prints the summary; `Ok(false)` when any object failed.
    pub async fn run(self) -> Result<bool, String> {
        let mut options = RunOptions::new(S3Url::parse(&self.url)?);
        options.single_object = self.object;
        options.filter = KeyFilter::new(&self.include, &self.exclude)?;
        options.dry_run = self.dry_run;
        options.concurrency = self.concurrency.into();
        options.policy = CopyPolicy {
            multipart_threshold: self.multipart_threshold.min(metadata::SINGLE_COPY_LIMIT),
            ..CopyPolicy::default()
        };
        let store = tessera::tools::s3_store(&self.s3).await;
        let summary = metadata::run(&store, &options, ProgressMode::for_stderr()).await?;
        print!("{summary}");
        Ok(summary.succeeded())
    }
}

/// `tessera convert`.
#[derive(clap::Args)]
pub struct Convert {
    /// Any image libvips reads.
    input: PathBuf,
    /// The pyramid TIFF to write.
    output: PathBuf,
    #[arg(long, value_enum, default_value = "jpeg")]
    compression: Compression,
    /// JPEG/WebP quality (libvips stores RGB without subsampling from 90 up).
    #[arg(long, default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// Tile width and height (a multiple of 16).
    #[arg(long, default_value_t = 512)]
    tile_size: u32,
    /// Store JPEG tiles as RGB instead of YCbCr 4:2:0.
    #[arg(long)]
    no_subsample: bool,
    /// Keep EXIF/XMP/ICC metadata (stripped by default).
    #[arg(long)]
    keep_metadata: bool,
    #[arg(long, value_enum, default_value = "auto")]
    bigtiff: BigTiff,
    /// Page of a multi-page input, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    page: u32,
}

impl Convert {
    pub fn run(self) -> Result<bool, String> {
        let options = ConvertOptions {
            compression: self.compression,
            quality: self.quality,
            subsample: !self.no_subsample,
            tile_size: self.tile_size,
            strip: !self.keep_metadata,
            bigtiff: self.bigtiff,
            page: self.page - 1,
        };
        let report = convert(&self.input, &self.output, &options)?;
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        println!(
            "{}: {}x{} pyramid TIFF{} ({})",
            self.output.display(),
            report.width,
            report.height,
            if report.bigtiff { " (BigTIFF)" } else { "" },
            report.save_options
        );
        Ok(true)
    }
}

/// `tessera inspect`.
#[derive(clap::Args)]
pub struct Inspect {
    /// A local file or `s3://bucket/key` (read by ranges).
    target: String,
    #[command(flatten)]
    s3: S3Config,
}

impl Inspect {
    pub async fn run(self) -> Result<bool, String> {
        let source: Box<dyn Source> = if self.target.starts_with("s3://") {
            let url = S3Url::parse(&self.target)?;
            let store: S3Store = tessera::tools::s3_store(&self.s3).await;
            let head = store
                .head(&url.bucket, &url.key)
                .await
                .map_err(|e| format!("{}: {}", self.target, e.detail()))?;
            Box::new(store.open_exact(&head))
        } else {
            let path = PathBuf::from(&self.target);
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            let name = path
                .file_name()
                .ok_or("no file name")?
                .to_string_lossy()
                .into_owned();
            let store = FileStore::new(dir.unwrap_or(".".as_ref()), "")
                .map_err(|e| format!("{}: {}", self.target, e.detail()))?;
            Box::new(
                store
                    .open(&name)
                    .map_err(|e| format!("{}: {}", self.target, e.detail()))?,
            )
        };
        let name = self.target.clone();
        // S3 sources block on the runtime for each read, so they must run off its workers.
        let found = tokio::task::spawn_blocking(move || inspect(&name, &*source))
            .await
            .map_err(|e| e.to_string())??;
        print!("{found}");
        Ok(true)
    }
}
