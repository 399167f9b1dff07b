//! Media files: the one small interface every stored image goes through,
//! over `object_store` (a directory under the data directory by default;
//! S3-compatible object storage when several nodes must see the same files).
//!
//! Names are content hashes with the extension of the type
//! (`<sha256 hex>.jpg`), so a name always means the same bytes: files are
//! written once, never changed, cached for ever by clients, and shared by
//! every row that names them. Deleting a file is the caller's decision, once
//! the database says nothing names it (`Store::unreferenced_files`).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use crate::{Result, StoreError};

/// Where media files are kept.
#[derive(Clone)]
pub struct MediaFiles {
    store: Arc<dyn ObjectStore>,
}

/// Where an S3-compatible bucket is and how to sign in to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`…
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// A file read back, whole or a byte range of it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub bytes: Bytes,
    /// The range of the file `bytes` holds.
    pub range: Range<u64>,
    /// The whole file's length.
    pub total: u64,
}

impl std::fmt::Debug for MediaFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaFiles({})", self.store)
    }
}

fn backend(e: object_store::Error) -> StoreError {
    StoreError::Backend(format!("media files: {e}"))
}

/// Whether `name` is one this module writes: a SHA-256 in lower-case hex, a
/// dot and a short lower-case extension. Nothing else is ever looked up, so
/// no path can step outside the store.
pub fn is_file_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else { return false };
    hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl MediaFiles {
    /// Files in a directory (created if missing).
    pub fn local(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", root.display())))?;
        let fs = LocalFileSystem::new_with_prefix(root).map_err(backend)?;
        Ok(MediaFiles { store: Arc::new(fs) })
    }

    /// Files in an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph…), so
    /// that several nodes serve the same files.
    pub fn s3(config: &S3Config) -> Result<Self> {
        // reqwest's TLS takes the process-wide rustls provider; the first
        // installed stays (another one may already be, which is as good).
        // ring, though rustls marks it deprecated for lacking post-quantum key
        // exchange: its alternative (aws-lc-rs) is a C build needing cmake.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&config.endpoint)
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.endpoint.starts_with("http://"))
            // Path-style (`endpoint/bucket/name`): what self-hosted S3 servers answer.
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(backend)?;
        Ok(MediaFiles { store: Arc::new(store) })
    }

    /// Files in any object store (S3-compatible storage, or memory in tests).
    pub fn from_object_store(store: Arc<dyn ObjectStore>) -> Self {
        MediaFiles { store }
    }

    fn path(name: &str) -> Result<ObjectPath> {
        if !is_file_name(name) {
            return Err(StoreError::NotFound);
        }
        Ok(ObjectPath::from(name))
    }

    /// Stores `bytes` as `name`. Writing a name again writes the same bytes.
    pub async fn put(&self, name: &str, bytes: Bytes) -> Result<()> {
        let path = Self::path(name)?;
        self.store.put(&path, PutPayload::from_bytes(bytes)).await.map_err(backend)?;
        Ok(())
    }

    /// The file, or the byte range of it asked for (clamped to its end):
    /// `None` when there is no such file. A range starting past the end is
    /// `Err(RangeNotSatisfiable)` with the file's length.
    pub async fn get(&self, name: &str, range: Option<ByteRange>) -> Result<Option<StoredFile>, GetError> {
        let path = Self::path(name).map_err(|_| GetError::NotFound)?;
        let total = match self.store.head(&path).await {
            Ok(meta) => meta.size,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(GetError::Store(backend(e))),
        };
        let wanted = match &range {
            None => 0..total,
            Some(ByteRange::Bounded(r)) => r.start..r.end.min(total),
            Some(ByteRange::From(start)) => *start..total,
            Some(ByteRange::Suffix(n)) => total.saturating_sub(*n)..total,
        };
        if range.is_some() && wanted.start >= wanted.end {
            return Err(GetError::RangeNotSatisfiable(total));
        }
        let options = GetOptions { range: Some(GetRange::Bounded(wanted.clone())), ..Default::default() };
        match self.store.get_opts(&path, options).await {
            Ok(result) => {
                let bytes = result.bytes().await.map_err(|e| GetError::Store(backend(e)))?;
                Ok(Some(StoredFile { bytes, range: wanted, total }))
            }
            // Deleted between the two calls.
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(GetError::Store(backend(e))),
        }
    }

    /// Whether a file by that name is stored.
    pub async fn exists(&self, name: &str) -> Result<bool> {
        match self.store.head(&Self::path(name)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    /// Removes a file; one already gone is no error.
    pub async fn delete(&self, name: &str) -> Result<()> {
        let path = Self::path(name)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }
}

/// A byte range of a file, as HTTP's `Range: bytes=…` names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    /// `a-b`: from `a` up to, not including, `b`.
    Bounded(Range<u64>),
    /// `a-`: from `a` to the end.
    From(u64),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error("no such file")]
    NotFound,
    #[error("range not satisfiable (the file has {0} bytes)")]
    RangeNotSatisfiable(u64),
    #[error(transparent)]
    Store(StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hash_names_are_file_names() {
        let hash = "a".repeat(64);
        assert!(is_file_name(&format!("{hash}.jpg")));
        for bad in [
            hash.clone(),
            format!("{}.jpg", "a".repeat(63)),
            format!("{}.jpg", "A".repeat(64)),
            format!("../{hash}.jpg"),
            format!("{hash}.jpg/x"),
            format!("{hash}.j.pg"),
            format!("{hash}."),
        ] {
            assert!(!is_file_name(&bad), "{bad}");
        }
    }
}
