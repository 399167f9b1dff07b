//! Turning an uploaded file into what Parley stores and serves: sniffed by
//! its bytes (never its name or declared type), decoded under limits,
//! turned upright (EXIF orientation), scaled down, and encoded anew.
//!
//! Encoding anew is what strips the metadata: the encoders write pixels and,
//! when the upload had one, its colour profile (ICC), and nothing else, so
//! EXIF (GPS above all), XMP, IPTC and comments never reach a reader.
//!
//! Everything here blocks (CPU-bound, up to a second for a 12-megapixel
//! photo): call it only on the media pool (`MediaService`), never on the
//! async runtime.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use parley_core::media::{MAX_IMAGE_PIXELS, PREVIEW_PIXELS, fit_area};
use sha2::{Digest, Sha256};

/// The most pixels a decoded upload may have (Mastodon's 7680×4320 matrix
/// limit): a bigger one, however few bytes it takes (a decompression bomb),
/// is refused from its header, before any pixel is decoded.
pub const MAX_DECODED_PIXELS: u64 = 7680 * 4320;
/// Memory one decode may take (the image and the decoder's buffers).
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

/// What an image is made into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A status's attachment: the original at most [`MAX_IMAGE_PIXELS`], a
    /// `small` preview at most [`PREVIEW_PIXELS`], and a blurhash.
    Attachment,
    /// An avatar: 400×400, cropped to the centre (Mastodon's).
    Avatar,
    /// A header: 1500×500, cropped to the centre (Mastodon's).
    Header,
}

/// Why an upload is refused; every one is the client's doing (a 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not one of the accepted image types by its bytes (SVG, HTML, text…).
    #[error("Validation failed: File content type is invalid, File is invalid")]
    UnsupportedType,
    #[error("Validation failed: File dimensions are too large ({width}×{height}; at most {MAX_DECODED_PIXELS} pixels)")]
    TooManyPixels { width: u32, height: u32 },
    /// Video or audio: transcoding them needs ffmpeg, which Parley does not use yet.
    #[error(
        "Validation failed: File is video or audio, which this server does not accept yet (transcoding it needs ffmpeg; only images are accepted)"
    )]
    NeedsFfmpeg,
    /// Truncated, corrupt, or otherwise undecodable.
    #[error("Validation failed: File could not be processed (it is truncated or corrupt)")]
    Corrupt,
}

/// One encoded image, named by the hash of its bytes.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub name: String,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// An upload made ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub original: Encoded,
    /// The preview (for avatars and headers, the same as `original`).
    pub small: Encoded,
    pub blurhash: String,
}

/// The formats accepted, by their magic bytes.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => Ok(f),
        _ if is_video_or_audio(bytes) => Err(ImageError::NeedsFfmpeg),
        _ => Err(ImageError::UnsupportedType),
    }
}

/// MP4/MOV/M4A (`ftyp`), WebM/Matroska, Ogg, WAV, FLAC, MP3: what Mastodon
/// takes as video or audio, by magic bytes, so the refusal says why.
fn is_video_or_audio(b: &[u8]) -> bool {
    // ISO media, but not its still-image brands (HEIC, AVIF): those are images Parley does not decode.
    let iso_still = matches!(b.get(8..12), Some(b"heic" | b"heix" | b"avif" | b"mif1" | b"msf1"));
    (b.get(4..8) == Some(b"ftyp") && !iso_still)
        || b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3])
        || b.starts_with(b"OggS")
        || (b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WAVE"))
        || b.starts_with(b"fLaC")
        || b.starts_with(b"ID3")
        || matches!(b, [0xFF, sync, ..] if sync & 0xE0 == 0xE0)
}

/// Decodes, orients, scales and re-encodes an upload. Blocking.
pub fn process_blocking(bytes: &[u8], shape: Shape) -> Result<Processed, ImageError> {
    let format = sniff(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| ImageError::Corrupt)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_DECODED_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    // A missing or unreadable orientation or profile is no reason to refuse the pixels.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Corrupt)?;
    image.apply_orientation(orientation);
    match shape {
        Shape::Attachment => {
            let (w, h) = fit_area(image.width(), image.height(), MAX_IMAGE_PIXELS);
            // Area averaging (image's thumbnail scaling): as good as a
            // triangle filter for shrinking, and 2.5 s → 1.5 s for a
            // 12-megapixel photo.
            let original = if (w, h) == (image.width(), image.height()) { image } else { image.thumbnail_exact(w, h) };
            let (sw, sh) = fit_area(w, h, PREVIEW_PIXELS);
            let small = original.thumbnail_exact(sw, sh);
            let blurhash = blurhash_of(&small)?;
            Ok(Processed { original: encode(&original, icc.clone())?, small: encode(&small, icc)?, blurhash })
        }
        Shape::Avatar | Shape::Header => {
            let (w, h) = if shape == Shape::Avatar { (400, 400) } else { (1500, 500) };
            let cropped = image.resize_to_fill(w, h, FilterType::Triangle);
            let blurhash = blurhash_of(&cropped)?;
            let encoded = encode(&cropped, icc)?;
            Ok(Processed { original: encoded.clone(), small: encoded, blurhash })
        }
    }
}

fn blurhash_of(image: &DynamicImage) -> Result<String, ImageError> {
    // A hash of a tiny thumbnail is the same hash, far cheaper.
    let tiny = image.thumbnail(64, 64).to_rgba8();
    blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).map_err(|_| ImageError::Corrupt)
}

/// PNG when the image has transparency (JPEG would lose it), JPEG otherwise.
fn encode(image: &DynamicImage, icc: Option<Vec<u8>>) -> Result<Encoded, ImageError> {
    let mut bytes = Vec::new();
    let (content_type, ext) = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        let mut encoder = PngEncoder::new(&mut bytes);
        if let Some(icc) = icc {
            // Not every encoder can carry a profile; the pixels matter more.
            encoder.set_icc_profile(icc).ok();
        }
        encoder
            .write_image(rgba.as_raw(), rgba.width(), rgba.height(), image::ExtendedColorType::Rgba8)
            .map_err(|_| ImageError::Corrupt)?;
        ("image/png", "png")
    } else {
        let rgb = image.to_rgb8();
        let mut encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        if let Some(icc) = icc {
            encoder.set_icc_profile(icc).ok();
        }
        encoder
            .write_image(rgb.as_raw(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8)
            .map_err(|_| ImageError::Corrupt)?;
        ("image/jpeg", "jpg")
    };
    let name = format!("{}.{ext}", hex::encode(Sha256::digest(&bytes)));
    Ok(Encoded { bytes, name, content_type, width: image.width(), height: image.height() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn an_attachment_keeps_its_size_and_gets_a_preview() {
        let done = process_blocking(&png(1280, 720), Shape::Attachment).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((done.original.width, done.original.height), (1280, 720));
        assert_eq!((done.small.width, done.small.height), (640, 360));
        assert_eq!(done.original.content_type, "image/jpeg");
        assert!(done.original.name.ends_with(".jpg") && done.original.name.len() == 68);
        // 4×3 components: size flag, maximum, DC (4), then 2 characters per AC component.
        assert_eq!(done.blurhash.len(), 1 + 1 + 4 + 2 * 11);
    }

    #[test]
    fn webp_and_gif_are_read_and_transparency_is_kept() {
        let rgba = image::RgbaImage::from_fn(90, 60, |x, _| image::Rgba([200, 10, 10, if x < 45 { 0 } else { 255 }]));
        for format in [ImageFormat::WebP, ImageFormat::Gif, ImageFormat::Png] {
            let mut bytes = Vec::new();
            DynamicImage::ImageRgba8(rgba.clone())
                .write_to(&mut Cursor::new(&mut bytes), format)
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            let done = process_blocking(&bytes, Shape::Attachment).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!((done.original.width, done.original.height), (90, 60), "{format:?}");
            assert_eq!(done.original.content_type, "image/png", "{format:?}: transparency needs PNG");
        }
    }

    #[test]
    fn text_pretending_to_be_an_image_is_refused() {
        for bad in [&b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"[..], b"<html><script>x</script>", b""] {
            assert_eq!(process_blocking(bad, Shape::Attachment).err(), Some(ImageError::UnsupportedType));
        }
    }

    #[test]
    fn video_and_audio_are_refused_naming_what_is_missing() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
        for bytes in [mp4, b"OggS\0\x02".to_vec(), b"ID3\x04\0\0".to_vec(), b"\x1a\x45\xdf\xa3\x01".to_vec()] {
            let refused = process_blocking(&bytes, Shape::Attachment).err();
            assert_eq!(refused, Some(ImageError::NeedsFfmpeg));
            assert!(ImageError::NeedsFfmpeg.to_string().contains("ffmpeg"));
        }
    }

    #[test]
    fn a_truncated_png_is_refused() {
        let whole = png(300, 200);
        let cut = &whole[..whole.len() / 2];
        assert_eq!(process_blocking(cut, Shape::Attachment).err(), Some(ImageError::Corrupt));
    }
}
