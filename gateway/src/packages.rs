//! County export packages (the documents' "burn to disc"): everything a county registered —
//! the county's record, every candidate's record and photo — in one tar file with a signed
//! manifest, so a city or the province can check it is complete and untouched and import it
//! (for instance after an outage cut the county off).
//!
//! Layout: `manifest.json`, `manifest.sig`, `county.json`, `candidates.jsonl` (one record
//! per line), `photos/<sha256>.jpg`. The manifest lists every other file with its SHA-256
//! and size; `manifest.sig` is its HMAC-SHA256 (hex) under a key every instance of the
//! province derives from the shared candidate-key secret; a package from elsewhere, a changed byte, a missing or an
//! extra file is refused before anything is imported.

use engine::candidate::Candidate;
use engine::county::County;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

/// The layout this build writes and reads.
pub const FORMAT: u32 = 1;

/// Why a package is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// Not a tar file, or a file in it is not what the layout says.
    #[error("the package is malformed: {0}")]
    Malformed(String),
    /// The manifest's signature does not verify under this province's key.
    #[error("the package's signature does not verify: it was changed or signed elsewhere")]
    Signature,
    /// A file differs from the manifest, or is missing, or is not listed.
    #[error("the package does not match its manifest: {0}")]
    Checksum(String),
}

impl PackageError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PackageError::Malformed(_) => "package_malformed",
            PackageError::Signature => "package_signature_invalid",
            PackageError::Checksum(_) => "package_checksum_mismatch",
        }
    }
}

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path inside the package.
    pub path: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// What the manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The county (six digits).
    pub county: String,
    /// When the package was made (CST text).
    pub created_at: String,
    /// Candidates in `candidates.jsonl`.
    pub candidates: u64,
    /// Every other file.
    pub files: Vec<ManifestFile>,
}

/// A package's content, verified.
#[derive(Debug)]
pub struct Package {
    /// The manifest.
    pub manifest: Manifest,
    /// The county's record.
    pub county: County,
    /// Every candidate's record.
    pub candidates: Vec<Candidate>,
    /// Photos by SHA-256.
    pub photos: BTreeMap<String, Vec<u8>>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn signature(key: &[u8], manifest: &[u8]) -> Result<Hmac<Sha256>, PackageError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|error| PackageError::Malformed(error.to_string()))?;
    mac.update(manifest);
    Ok(mac)
}

fn malformed(error: impl std::fmt::Display) -> PackageError {
    PackageError::Malformed(error.to_string())
}

/// Builds the package of `county` with its `candidates` and their `photos`.
pub fn build(
    key: &[u8],
    county: &County,
    candidates: &[Candidate],
    photos: &BTreeMap<String, Vec<u8>>,
    created_at: String,
) -> Result<Vec<u8>, PackageError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        "county.json".into(),
        serde_json::to_vec(county).map_err(malformed)?,
    ));
    let mut lines = Vec::new();
    for candidate in candidates {
        serde_json::to_writer(&mut lines, candidate).map_err(malformed)?;
        lines.push(b'\n');
    }
    files.push(("candidates.jsonl".into(), lines));
    for (sha256, bytes) in photos {
        files.push((format!("photos/{sha256}.jpg"), bytes.clone()));
    }
    let manifest = Manifest {
        format: FORMAT,
        county: county.code.to_string(),
        created_at,
        candidates: candidates.len() as u64,
        files: files
            .iter()
            .map(|(path, bytes)| ManifestFile {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(malformed)?;
    let signed = hex::encode(signature(key, &manifest)?.finalize().into_bytes());
    let mut archive = tar::Builder::new(Vec::new());
    let mut append = |path: &str, bytes: &[u8]| -> Result<(), PackageError> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, path, bytes)
            .map_err(malformed)
    };
    append("manifest.json", &manifest)?;
    append("manifest.sig", signed.as_bytes())?;
    for (path, bytes) in &files {
        append(path, bytes)?;
    }
    archive.into_inner().map_err(malformed)
}

/// Reads and verifies a package; nothing in it is trusted before this returns.
pub fn open(key: &[u8], package: &[u8]) -> Result<Package, PackageError> {
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut archive = tar::Archive::new(package);
    for entry in archive.entries().map_err(malformed)? {
        let mut entry = entry.map_err(malformed)?;
        let path = entry
            .path()
            .map_err(malformed)?
            .to_str()
            .ok_or_else(|| malformed("a path is not UTF-8"))?
            .to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(malformed)?;
        if entries.insert(path.clone(), bytes).is_some() {
            return Err(PackageError::Checksum(format!("{path} appears twice")));
        }
    }
    let manifest_bytes = entries
        .remove("manifest.json")
        .ok_or_else(|| malformed("no manifest.json"))?;
    let signed = entries
        .remove("manifest.sig")
        .and_then(|hex_text| hex::decode(hex_text.trim_ascii()).ok())
        .ok_or(PackageError::Signature)?;
    signature(key, &manifest_bytes)?
        .verify_slice(&signed)
        .map_err(|_| PackageError::Signature)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(malformed)?;
    if manifest.format != FORMAT {
        return Err(malformed(format!(
            "format {}, this build reads {FORMAT}",
            manifest.format
        )));
    }
    for file in &manifest.files {
        let bytes = entries
            .get(&file.path)
            .ok_or_else(|| PackageError::Checksum(format!("{} is missing", file.path)))?;
        if bytes.len() as u64 != file.bytes || sha256_hex(bytes) != file.sha256 {
            return Err(PackageError::Checksum(format!("{} was changed", file.path)));
        }
    }
    if let Some(extra) = entries
        .keys()
        .find(|path| !manifest.files.iter().any(|file| &file.path == *path))
    {
        return Err(PackageError::Checksum(format!("{extra} is not listed")));
    }
    let county: County = serde_json::from_slice(
        entries
            .get("county.json")
            .ok_or_else(|| malformed("no county.json"))?,
    )
    .map_err(malformed)?;
    let candidates: Vec<Candidate> = entries
        .get("candidates.jsonl")
        .ok_or_else(|| malformed("no candidates.jsonl"))?
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).map_err(malformed))
        .collect::<Result<_, _>>()?;
    if county.code.to_string() != manifest.county || candidates.len() as u64 != manifest.candidates
    {
        return Err(malformed(
            "the content does not match the manifest's county or count",
        ));
    }
    let photos = entries
        .into_iter()
        .filter_map(|(path, bytes)| {
            let sha256 = path
                .strip_prefix("photos/")?
                .strip_suffix(".jpg")?
                .to_owned();
            Some((sha256, bytes))
        })
        .collect();
    Ok(Package {
        manifest,
        county,
        candidates,
        photos,
    })
}
