//! Media uploads: `POST /api/v2/media` and the rest of `/api/v1/media`,
//! the processing pool, and removing files once nothing names them.
//!
//! Processing (decoding, scaling, encoding) runs on the blocking pool behind
//! a semaphore of `media.workers` permits: a burst of uploads waits for a
//! permit, it never occupies the async runtime's threads, so votes and
//! timelines keep their latency while images are being made.

pub mod process;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use parley_core::MediaId;
use parley_core::media::{MediaAttachment, MediaFile, MediaKind, check_description, parse_focus};
use parley_core::model::Account;
use parley_store::{MediaAttributes, NewMedia};
use tokio::sync::Semaphore;

pub use parley_store::files::{ByteRange, GetError, StoredFile, is_file_name};

pub use self::process::{ImageError, Processed, Shape};
use crate::{AppError, Context, Result};

/// How long an upload may stay unattached before it is removed (Mastodon's 24 hours).
pub const UNATTACHED_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The processing pool: at most this many images are being made at once.
#[derive(Debug)]
pub struct MediaPool {
    permits: Semaphore,
}

impl MediaPool {
    pub fn new(workers: usize) -> Self {
        MediaPool { permits: Semaphore::new(workers.max(1)) }
    }
}

impl From<ImageError> for AppError {
    fn from(e: ImageError) -> Self {
        AppError::Validation(e.to_string())
    }
}

impl From<parley_core::media::MediaRuleError> for AppError {
    fn from(e: parley_core::media::MediaRuleError) -> Self {
        AppError::Validation(e.to_string())
    }
}

/// Processes an upload on the pool (waiting for a permit), off the runtime.
pub(crate) async fn process(ctx: &Context, bytes: Bytes, shape: Shape) -> Result<Processed> {
    let _permit =
        ctx.media_pool.permits.acquire().await.map_err(|_| AppError::Internal("the media pool is closed".into()))?;
    tokio::task::spawn_blocking(move || process::process_blocking(&bytes, shape))
        .await
        .map_err(|e| AppError::Internal(format!("image processing stopped: {e}")))?
        .map_err(AppError::from)
}

/// Stores an encoded image (a no-op write when the same bytes are stored already).
pub(crate) async fn store_file(ctx: &Context, image: &process::Encoded) -> Result<MediaFile> {
    ctx.files.put(&image.name, Bytes::from(image.bytes.clone())).await?;
    Ok(MediaFile {
        name: image.name.clone(),
        content_type: image.content_type.to_string(),
        width: image.width,
        height: image.height,
        size: image.bytes.len() as u64,
    })
}

/// Stores an image again if it is gone, once a row names it. A file is
/// written before its row exists, and a deletion of another row naming the
/// same bytes may have found it unnamed in between and deleted it; after the
/// row exists no deletion will, so checking once now is enough.
pub(crate) async fn keep_file(ctx: &Context, image: &process::Encoded) -> Result<()> {
    if !ctx.files.exists(&image.name).await? {
        ctx.files.put(&image.name, Bytes::from(image.bytes.clone())).await?;
    }
    Ok(())
}

/// Deletes those of `names` that nothing names any more. The rows are gone
/// already; a file that cannot be deleted now is logged and left (it is
/// unreachable, and costs only space).
pub(crate) async fn release_files(ctx: &Context, names: Vec<String>) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    for name in ctx.store.unreferenced_files(names).await? {
        if let Err(e) = ctx.files.delete(&name).await {
            tracing::error!(error = %e, file = %name, "deleting a media file failed");
        }
    }
    Ok(())
}

/// The names of an attachment's files.
pub(crate) fn file_names(media: &[MediaAttachment]) -> Vec<String> {
    media.iter().flat_map(|m| [m.original.name.clone(), m.small.name.clone()]).collect()
}

/// What `POST /api/v2/media` carries besides the file.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub file: Bytes,
    /// A custom preview, used instead of the one made from the file.
    pub thumbnail: Option<Bytes>,
    pub description: Option<String>,
    pub focus: Option<String>,
}

#[derive(Clone)]
pub struct MediaService {
    ctx: Arc<Context>,
}

impl MediaService {
    pub fn new(ctx: Arc<Context>) -> Self {
        MediaService { ctx }
    }

    /// `POST /api/v2/media` (and v1): images are processed before answering.
    pub async fn upload(&self, owner: &Account, upload: Upload) -> Result<MediaAttachment> {
        let ctx = &self.ctx;
        // The cheap checks first: a bad focus costs no decoding.
        let description = check_description(upload.description.as_deref())?;
        let focus = parse_focus(upload.focus.as_deref().unwrap_or(""))?;
        let made = process(ctx, upload.file, Shape::Attachment).await?;
        let small_image = match upload.thumbnail {
            Some(thumbnail) => process(ctx, thumbnail, Shape::Attachment).await?.small,
            None => made.small,
        };
        let original = store_file(ctx, &made.original).await?;
        let small = store_file(ctx, &small_image).await?;
        let media = ctx
            .store
            .insert_media(NewMedia {
                account_id: owner.id,
                kind: MediaKind::Image,
                original,
                small,
                description,
                focus,
                blurhash: made.blurhash,
            })
            .await?;
        keep_file(ctx, &made.original).await?;
        keep_file(ctx, &small_image).await?;
        Ok(media)
    }

    /// `GET /api/v1/media/:id`: only the owner's.
    pub async fn get(&self, owner: &Account, id: MediaId) -> Result<MediaAttachment> {
        match self.ctx.store.find_media(id).await? {
            Some(m) if m.account_id == owner.id => Ok(m),
            _ => Err(AppError::NotFound),
        }
    }

    /// `PUT /api/v1/media/:id`: an unattached upload's description and focus.
    pub async fn update(
        &self,
        owner: &Account,
        id: MediaId,
        description: Option<String>,
        focus: Option<String>,
    ) -> Result<MediaAttachment> {
        let attrs = MediaAttributes {
            description: description.map(|d| check_description(Some(&d))).transpose()?,
            focus: match focus {
                Some(f) => parse_focus(&f)?,
                None => None,
            },
        };
        Ok(self.ctx.store.update_media(owner.id, id, attrs).await?)
    }

    /// A stored file, or a byte range of it (anyone may read it: files are
    /// named by hashes, and a status's visibility governs who learns the name).
    pub async fn read_file(&self, name: &str, range: Option<ByteRange>) -> Result<Option<StoredFile>, GetError> {
        self.ctx.files.get(name, range).await
    }

    /// `DELETE /api/v1/media/:id`: an unattached upload, with its files.
    pub async fn delete(&self, owner: &Account, id: MediaId) -> Result<()> {
        let media = self.ctx.store.delete_media(owner.id, id).await?.ok_or(AppError::NotFound)?;
        release_files(&self.ctx, file_names(&[media])).await
    }
}

/// Removes the uploads that are unattached [`UNATTACHED_LIFETIME`] before
/// `now`, and their files: how many.
pub async fn remove_unattached(ctx: &Context, now: chrono::DateTime<Utc>) -> Result<usize> {
    const ROUND: usize = 500;
    let mut removed = 0;
    loop {
        let stale = ctx.store.delete_stale_media(now - UNATTACHED_LIFETIME, ROUND).await?;
        removed += stale.len();
        release_files(ctx, file_names(&stale)).await?;
        if stale.len() < ROUND {
            return Ok(removed);
        }
    }
}

/// Runs [`remove_unattached`] every ten minutes.
pub async fn run_media_cleaner(ctx: Arc<Context>) {
    loop {
        if let Err(e) = remove_unattached(&ctx, Utc::now()).await {
            tracing::error!(error = %e, "removing unattached media failed");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}
