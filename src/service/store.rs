//! Where images live: the configured store turns a (decoded) object name into a
//! [`Source`]. File opens are blocking and run on the blocking pool.

use crate::config::{Config, SourceKind};
use crate::source::{FileStore, Source, SourceError, SourceErrorKind};
use std::sync::Arc;

/// The configured image store.
pub enum Store {
    File(Arc<FileStore>),
}

impl Store {
    /// Builds the store the configuration names.
    pub async fn from_config(config: &Config) -> Result<Store, String> {
        match config.source {
            SourceKind::File => {
                let store = FileStore::new(&config.root, &config.key_template)
                    .map_err(|e| format!("TESSERA_ROOT: {}", e.detail()))?;
                Ok(Store::File(Arc::new(store)))
            }
            SourceKind::S3 => Err("the S3 source is not built into this version yet".into()),
        }
    }

    /// Opens the object an identifier names.
    pub async fn open(&self, name: &str) -> Result<Arc<dyn Source>, SourceError> {
        match self {
            Store::File(files) => {
                let files = Arc::clone(files);
                let name = name.to_string();
                tokio::task::spawn_blocking(move || files.open(&name))
                    .await
                    .map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))?
                    .map(|s| Arc::new(s) as Arc<dyn Source>)
            }
        }
    }
}
