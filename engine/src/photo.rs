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

/// Walks the JPEG marker segments to the first start-of-frame and reads its size.
fn jpeg_dimensions(file: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while *file.get(at)? == 0xFF && *file.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *file.get(at)? != 0xFF {
            return None;
        }
        let marker = *file.get(at + 1)?;
        let length = usize::from(u16::from_be_bytes([*file.get(at + 2)?, *file.get(at + 3)?]));
        let is_start_of_frame =
            matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if is_start_of_frame {
            let height = u16::from_be_bytes([*file.get(at + 5)?, *file.get(at + 6)?]);
            let width = u16::from_be_bytes([*file.get(at + 7)?, *file.get(at + 8)?]);
            return Some((u32::from(width), u32::from(height)));
        }
        if marker == 0xDA || length < 2 {
            // Start of scan before any frame header: not a well-formed JPEG.
            return None;
        }
        at += 2 + length;
    }
}

/// Builds a minimal JPEG-shaped file of the given size and dimensions. It is not a
/// decodable picture, only headers plus padding: enough for every check above. Used by
/// tests and by the demo seeding and load generator, which need many distinct photos.
pub fn synthetic_jpeg(width: u16, height: u16, total_bytes: usize, salt: u64) -> Vec<u8> {
    let mut file = vec![0xFF, 0xD8];
    // APP0 "JFIF" segment.
    file.extend_from_slice(&[
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    // SOF0: length 17, precision 8, height, width, 3 components.
    file.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    file.extend_from_slice(&height.to_be_bytes());
    file.extend_from_slice(&width.to_be_bytes());
    file.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    let mut state = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while file.len() + 2 < total_bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        file.push((state & 0x7F) as u8);
    }
    file.extend_from_slice(&[0xFF, 0xD9]);
    file
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // The frame header ends at byte 29: every shorter prefix lacks it.
        for cut in 0..29 {
            assert!(
                loose.inspect(&file[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
        assert!(loose.inspect(&file[..29]).is_ok());
    }
}
