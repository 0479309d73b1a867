//! Candidate photos: what a registration point may upload.
//!
//! The seeds require photos to meet the provincial image-collection standard; the common
//! form is a JPEG of 480×640 pixels and 20–40 KB on a plain light background. Those limits
//! are configuration ([`PhotoRules`]) because provinces and years differ. The background
//! is judged by the operator at capture; everything measurable is checked here, from the
//! bytes themselves, never from what the client claims.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the standard requires of a photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRules {
    /// Required width in pixels.
    pub width_px: u32,
    /// Required height in pixels.
    pub height_px: u32,
    /// Smallest accepted file, in bytes.
    pub min_bytes: u32,
    /// Largest accepted file, in bytes.
    pub max_bytes: u32,
}

impl Default for PhotoRules {
    fn default() -> Self {
        PhotoRules {
            width_px: 480,
            height_px: 640,
            min_bytes: 20 * 1024,
            max_bytes: 40 * 1024,
        }
    }
}

/// The measured facts of an accepted photo. The bytes live in storage under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoMeta {
    /// Width in pixels, read from the JPEG frame header.
    pub width_px: u32,
    /// Height in pixels, read from the JPEG frame header.
    pub height_px: u32,
    /// File size in bytes.
    pub bytes: u32,
    /// Hex SHA-256 of the file: its storage key and its integrity check in exports.
    pub sha256: String,
}

/// Why a photo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not a JPEG file.
    #[error("the photo must be a JPEG file")]
    Format,
    /// A JPEG whose frame header cannot be found.
    #[error("the photo could not be read as a JPEG image")]
    Unreadable,
    /// Wrong pixel size.
    #[error(
        "the photo is {width}×{height} px; the standard requires {required_width}×{required_height} px"
    )]
    Dimensions {
        /// Measured width.
        width: u32,
        /// Measured height.
        height: u32,
        /// Required width.
        required_width: u32,
        /// Required height.
        required_height: u32,
    },
    /// File too small or too large.
    #[error("the photo is {bytes} bytes; the standard requires {min}–{max} bytes")]
    Size {
        /// Measured size.
        bytes: u32,
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
    },
}

impl PhotoError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Format => "photo_format",
            PhotoError::Unreadable => "photo_unreadable",
            PhotoError::Dimensions { .. } => "photo_dimensions",
            PhotoError::Size { .. } => "photo_size",
        }
    }
}

impl PhotoRules {
    /// Measures `file` and checks it against the rules.
    pub fn inspect(&self, file: &[u8]) -> Result<PhotoMeta, PhotoError> {
        if !file.starts_with(&[0xFF, 0xD8]) {
            return Err(PhotoError::Format);
        }
        let bytes = u32::try_from(file.len()).unwrap_or(u32::MAX);
        self.check_size(bytes)?;
        let (width_px, height_px) = jpeg_dimensions(file).ok_or(PhotoError::Unreadable)?;
        let meta = PhotoMeta {
            width_px,
            height_px,
            bytes,
            sha256: hex::encode(Sha256::digest(file)),
        };
        self.check(&meta)?;
        Ok(meta)
    }

    /// Checks already-measured facts (used when a capture is decided, in case the rules
    /// changed between upload and capture).
    pub fn check(&self, meta: &PhotoMeta) -> Result<(), PhotoError> {
        self.check_size(meta.bytes)?;
        if (meta.width_px, meta.height_px) != (self.width_px, self.height_px) {
            return Err(PhotoError::Dimensions {
                width: meta.width_px,
                height: meta.height_px,
                required_width: self.width_px,
                required_height: self.height_px,
            });
        }
        Ok(())
    }

    fn check_size(&self, bytes: u32) -> Result<(), PhotoError> {
        if !(self.min_bytes..=self.max_bytes).contains(&bytes) {
            return Err(PhotoError::Size {
                bytes,
                min: self.min_bytes,
                max: self.max_bytes,
            });
        }
        Ok(())
    }
}

/// Walks the JPEG marker segments up to the first scan, checking the file is a complete
/// picture: quantisation and Huffman tables and a frame header before the scan, and the
/// end-of-image marker at the end. Returns the frame's size. (A header-only file would pass a
/// size check but print as nothing.)
fn jpeg_dimensions(file: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    let mut frame = None;
    let (mut quantisation, mut huffman) = (false, false);
    loop {
        let (marker_at, marker, length) = segment_at(file, at)?;
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                let height =
                    u16::from_be_bytes([*file.get(marker_at + 5)?, *file.get(marker_at + 6)?]);
                let width =
                    u16::from_be_bytes([*file.get(marker_at + 7)?, *file.get(marker_at + 8)?]);
                // Arithmetic coding (C9–CF) needs no Huffman tables.
                huffman |= marker >= 0xC9;
                frame = Some((u32::from(width), u32::from(height)));
            }
            0xDB => quantisation = true,
            0xC4 => huffman = true,
            0xDA => {
                let complete = quantisation && huffman && file.ends_with(&[0xFF, 0xD9]);
                return frame.filter(|_| complete && file.len() > marker_at + 2 + length + 2);
            }
            _ => {}
        }
        at = marker_at + 2 + length;
    }
}

/// The marker segment found at `at` (after any 0xFF fill bytes): where its marker starts,
/// the marker, and the segment's length field (which counts itself, not the marker).
fn segment_at(file: &[u8], mut at: usize) -> Option<(usize, u8, usize)> {
    // Markers may be preceded by any number of 0xFF fill bytes.
    while *file.get(at)? == 0xFF && *file.get(at + 1)? == 0xFF {
        at += 1;
    }
    if *file.get(at)? != 0xFF {
        return None;
    }
    let marker = *file.get(at + 1)?;
    let length = usize::from(u16::from_be_bytes([*file.get(at + 2)?, *file.get(at + 3)?]));
    (length >= 2).then_some((at, marker, length))
}

/// The photo without its application segments (APP1–APP15: EXIF with the camera, time and
/// GPS position, XMP, ICC, Photoshop/IPTC), which a photo of a minor must not carry into the
/// store, exports and printed forms. JFIF (APP0), tables, frame, comments and the scan are
/// kept byte for byte, so the picture is unchanged. A file that cannot be walked is returned
/// as it is, for [`PhotoRules::inspect`] to refuse.
///
/// In place: the upload's own buffer is compacted (a photo without such segments — every
/// photo the loadtest sends — is returned untouched), since the photo is the largest thing a
/// capture carries and every copy of it is paid on the write path.
pub fn strip_metadata(mut file: Vec<u8>) -> Vec<u8> {
    /// Walks the segments and returns the length of what is kept; moves each kept segment
    /// down to its place when `compact`. Reading stays ahead of writing (a kept segment moves
    /// only towards the start, over bytes already walked), so one buffer does.
    fn walk(file: &mut [u8], compact: bool) -> Option<usize> {
        if file.get(..2)? != [0xFF, 0xD8] {
            return None;
        }
        let mut kept = 2;
        let mut at = 2;
        loop {
            let (marker_at, marker, length) = segment_at(file, at)?;
            let end = marker_at.checked_add(2 + length)?;
            let range = if marker == 0xDA {
                marker_at..file.len()
            } else {
                file.get(marker_at..end)?;
                marker_at..end
            };
            if marker == 0xDA || !(0xE1..=0xEF).contains(&marker) {
                let size = range.len();
                if compact {
                    file.copy_within(range, kept);
                }
                kept += size;
            }
            if marker == 0xDA {
                return Some(kept);
            }
            at = end;
        }
    }
    match walk(&mut file, false) {
        Some(kept) if kept < file.len() => {
            let compacted = walk(&mut file, true);
            debug_assert_eq!(compacted, Some(kept));
            file.truncate(kept);
            file
        }
        // Nothing to strip, or not walkable: as it is.
        _ => file,
    }
}

/// Builds a real, decodable baseline JPEG of the given size: a grey head-and-shoulders
/// silhouette on a light background (one flat tone per 8×8 block, so only DC coefficients
/// are coded), padded to `total_bytes` with a comment segment derived from `salt` so that
/// every `salt` gives a distinct file (and hash). Used by tests, the demo walk and the load
/// generator, which need many distinct photos that PDF writers and viewers accept.
pub fn synthetic_jpeg(width: u16, height: u16, total_bytes: usize, salt: u64) -> Vec<u8> {
    let scan = silhouette_scan(width, height);
    let mut head = vec![0xFF, 0xD8];
    // APP0 "JFIF".
    head.extend_from_slice(&[
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    // DQT: one table, every step 8, so a quantised DC value is the block's level − 128.
    head.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    head.extend_from_slice(&[8; 64]);
    // SOF0: 8-bit, one component (greyscale), no subsampling, table 0.
    head.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    head.extend_from_slice(&height.to_be_bytes());
    head.extend_from_slice(&width.to_be_bytes());
    head.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    // DHT DC 0: categories 0–11, all 4-bit codes (code = category).
    head.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x1F, 0x00]);
    head.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // DHT AC 0: only end-of-block, code `00`.
    head.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, 0x10]);
    head.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
    let sos = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00];
    let fixed = head.len() + sos.len() + scan.len() + 2;
    // COM padding (before the scan, where any decoder skips it).
    if total_bytes >= fixed + 4 {
        let payload = (total_bytes - fixed - 4).min(usize::from(u16::MAX) - 2);
        let length = u16::try_from(payload + 2).unwrap_or(u16::MAX);
        head.extend_from_slice(&[0xFF, 0xFE]);
        head.extend_from_slice(&length.to_be_bytes());
        let mut state = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for _ in 0..payload {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            head.push((state & 0x7F) as u8);
        }
    }
    head.extend_from_slice(&sos);
    head.extend_from_slice(&scan);
    head.extend_from_slice(&[0xFF, 0xD9]);
    head
}

/// The entropy-coded scan of the silhouette: per block, the DC difference (4-bit category
/// code + magnitude bits) and end-of-block.
fn silhouette_scan(width: u16, height: u16) -> Vec<u8> {
    let (columns, rows) = (
        usize::from(width).div_ceil(8),
        usize::from(height).div_ceil(8),
    );
    let mut bits = BitWriter::default();
    let mut previous = 0i32;
    for row in 0..rows {
        for column in 0..columns {
            let x = (column as f32 + 0.5) / columns as f32;
            let y = (row as f32 + 0.5) / rows as f32;
            let inside = |cx: f32, cy: f32, rx: f32, ry: f32| {
                ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
            };
            let level = if inside(0.5, 0.4, 0.2, 0.19) {
                150
            } else if inside(0.5, 1.08, 0.46, 0.36) {
                70
            } else {
                228
            };
            let value = level - 128;
            let difference = value - previous;
            previous = value;
            let category = 32 - difference.unsigned_abs().leading_zeros();
            bits.put(category, 4);
            let magnitude = if difference >= 0 {
                difference
            } else {
                difference + (1 << category) - 1
            };
            bits.put(magnitude as u32, category);
            bits.put(0, 2);
        }
    }
    bits.finish()
}

/// MSB-first bit packing with JPEG byte stuffing (0xFF is followed by 0x00).
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u32,
    used: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, count: u32) {
        for shift in (0..count).rev() {
            self.current = (self.current << 1) | ((value >> shift) & 1);
            self.used += 1;
            if self.used == 8 {
                self.flush_byte();
            }
        }
    }

    fn flush_byte(&mut self) {
        let byte = (self.current & 0xFF) as u8;
        self.bytes.push(byte);
        if byte == 0xFF {
            self.bytes.push(0x00);
        }
        self.current = 0;
        self.used = 0;
    }

    /// Pads the last byte with one bits, as the standard asks.
    fn finish(mut self) -> Vec<u8> {
        while self.used != 0 {
            self.put(1, 1);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security audit item 23: EXIF (camera, time, GPS) was kept in stored photos.
    #[test]
    fn item_23_exif_and_other_application_segments_are_stripped() {
        let photo = synthetic_jpeg(480, 640, 30 * 1024, 7);
        let exif: &[u8] = b"Exif\0\0MM\0*GPS 28.2N 112.9E Canon EOS";
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&u16::try_from(exif.len() + 2).expect("short").to_be_bytes());
        segment.extend_from_slice(exif);
        let mut with_exif = photo[..2].to_vec();
        with_exif.extend_from_slice(&segment);
        with_exif.extend_from_slice(&photo[2..]);
        let stripped = strip_metadata(with_exif.clone());
        assert_eq!(stripped, photo, "exactly the picture without the segment");
        assert!(!stripped.windows(4).any(|w| w == b"Exif"));
        assert_eq!(
            strip_metadata(photo.clone()),
            photo,
            "nothing to strip: unchanged"
        );
        assert_eq!(
            strip_metadata(b"not a jpeg".to_vec()),
            b"not a jpeg".to_vec()
        );
        assert_eq!(strip_metadata(photo[..10].to_vec()), photo[..10].to_vec());
        // Cut inside the EXIF segment: not walkable, so kept as it is for the check to refuse.
        let cut = with_exif[..8].to_vec();
        assert_eq!(strip_metadata(cut.clone()), cut);
        // Segments on both sides of a kept one, fill bytes between: each removed, the
        // picture kept byte for byte.
        let mut twice = photo[..2].to_vec();
        twice.extend_from_slice(&segment);
        twice.extend_from_slice(&[0xFF, 0xFF]);
        twice.extend_from_slice(&photo[2..20]);
        twice.extend_from_slice(&segment);
        twice.extend_from_slice(&photo[20..]);
        assert_eq!(strip_metadata(twice), photo);
    }

    #[test]
    fn accepts_a_photo_that_meets_the_standard() {
        let file = synthetic_jpeg(480, 640, 30 * 1024, 7);
        let meta = PhotoRules::default()
            .inspect(&file)
            .expect("meets the standard");
        assert_eq!(
            (meta.width_px, meta.height_px, meta.bytes),
            (480, 640, 30 * 1024)
        );
        assert_eq!(meta.sha256.len(), 64);
    }

    #[test]
    fn refuses_each_failure_with_its_own_code() {
        let rules = PhotoRules::default();
        let png = b"\x89PNG\r\n\x1a\n".repeat(4000);
        assert_eq!(rules.inspect(&png).expect_err("png").code(), "photo_format");
        let small = synthetic_jpeg(480, 640, 10 * 1024, 1);
        assert_eq!(
            rules.inspect(&small).expect_err("small").code(),
            "photo_size"
        );
        let large = synthetic_jpeg(480, 640, 50 * 1024, 1);
        assert_eq!(
            rules.inspect(&large).expect_err("large").code(),
            "photo_size"
        );
        let wide = synthetic_jpeg(640, 480, 30 * 1024, 1);
        let error = rules.inspect(&wide).expect_err("landscape");
        assert_eq!(error.code(), "photo_dimensions");
        assert!(error.to_string().contains("640×480"));
        let mut headless = vec![0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
        headless.resize(30 * 1024, 0);
        assert_eq!(
            rules.inspect(&headless).expect_err("no frame").code(),
            "photo_unreadable"
        );
    }

    #[test]
    fn truncated_headers_are_refused_not_panicked_on() {
        let file = synthetic_jpeg(480, 640, 30 * 1024, 3);
        let loose = PhotoRules {
            min_bytes: 0,
            ..PhotoRules::default()
        };
        // Every proper prefix lacks a table, the frame, the scan or the end marker.
        for cut in 0..file.len() {
            assert!(
                loose.inspect(&file[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
        assert!(loose.inspect(&file).is_ok());
    }

    #[test]
    fn a_header_without_tables_or_scan_is_not_a_photo() {
        // SOI, JFIF, a frame header, padding, EOI: the right size, but nothing to print.
        let mut file = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        file.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        file.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x02, 0x80, 0x01, 0xE0]);
        file.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
        file.resize(30 * 1024 - 2, 0x11);
        file.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(
            PhotoRules::default().inspect(&file),
            Err(PhotoError::Unreadable)
        );
    }
}
