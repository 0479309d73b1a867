//! County export packages (the documents' "burn to disc"): everything a county registered —
//! the county's record, every candidate's record and photo — in one tar file with a signed
//! manifest, so a city or the province can check it is complete and untouched and import it
//! (for instance after an outage cut the county off). The tar travels inside an encrypted
//! envelope ([`sealed`]); it is built from temporary files, never whole in memory.
//!
//! Layout: `manifest.json`, `manifest.sig`, `county.json`, `candidates.jsonl` (one record
//! per line), `photos/<sha256>.jpg`. The manifest lists every other file with its SHA-256
//! and size; `manifest.sig` is `key-id.hex` of its HMAC-SHA256 under the deployment's
//! `packages` key ring; a package from elsewhere, a changed byte, a missing or an
//! extra file is refused before anything is imported. The manifest and its signature come
//! first in the tar and are verified before any other entry is read; only regular files
//! are accepted, each at the size the manifest states.

use engine::candidate::Candidate;
use engine::county::County;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use storage::keys::KeyRing;

pub mod sealed;

/// The layout this build writes and reads (2: encrypted envelope, key ids in signatures).
pub const FORMAT: u32 = 2;

/// The most the files a manifest lists may add up to (a province's largest county, with
/// photos, is well under it).
pub const MAX_CONTENT_BYTES: u64 = 512 * 1024 * 1024;

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

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `manifest.sig`: `key-id.hex-hmac` under the deployment's `packages` ring.
fn signature(keys: &KeyRing, manifest: &[u8]) -> String {
    let (id, tag) = keys.sign(manifest);
    format!("{id}.{}", hex::encode(tag))
}

fn verify(keys: &KeyRing, manifest: &[u8], signed: &[u8]) -> Result<(), PackageError> {
    let signed = std::str::from_utf8(signed).map_err(|_| PackageError::Signature)?;
    let (id, tag) = signed
        .trim_ascii()
        .split_once('.')
        .ok_or(PackageError::Signature)?;
    let tag = hex::decode(tag).map_err(|_| PackageError::Signature)?;
    if tag.len() == 32 && keys.verify(id, manifest, &tag) {
        Ok(())
    } else {
        Err(PackageError::Signature)
    }
}

fn malformed(error: impl std::fmt::Display) -> PackageError {
    PackageError::Malformed(error.to_string())
}

/// A candidate as a package carries it: without password hashes (a package travels on
/// discs and between offices; a hash is an offline guessing target). After an import the
/// candidate's first login is open again, and new passwords need a new real-person
/// authentication — the reset the point would otherwise do.
fn without_credentials(candidate: &Candidate) -> Candidate {
    Candidate {
        passwords: None,
        save_password_failures: 0,
        last_auth_passed_at: None,
        ..candidate.clone()
    }
}

/// A package being built: its content files are written to a temporary directory as they
/// come — one candidate page and one photo at a time, whatever the county's size — each
/// hashed on the way; [`Builder::finish`] then streams the manifest, its signature and the
/// files through the encrypting envelope.
pub struct Builder {
    directory: tempfile::TempDir,
    county: String,
    files: Vec<ManifestFile>,
    candidates: std::io::BufWriter<std::fs::File>,
    candidates_digest: Sha256,
    candidates_bytes: u64,
    candidate_count: u64,
    photos: std::collections::BTreeSet<String>,
}

impl Builder {
    /// Starts the package of `county`.
    pub fn new(county: &County) -> Result<Builder, PackageError> {
        let directory = tempfile::tempdir().map_err(malformed)?;
        std::fs::create_dir(directory.path().join("photos")).map_err(malformed)?;
        let candidates =
            std::fs::File::create(directory.path().join("candidates.jsonl")).map_err(malformed)?;
        let mut builder = Builder {
            directory,
            county: county.code.to_string(),
            files: Vec::new(),
            candidates: std::io::BufWriter::new(candidates),
            candidates_digest: Sha256::new(),
            candidates_bytes: 0,
            candidate_count: 0,
            photos: Default::default(),
        };
        builder.write_file(
            "county.json",
            &serde_json::to_vec(county).map_err(malformed)?,
        )?;
        Ok(builder)
    }

    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), PackageError> {
        std::fs::write(self.directory.path().join(path), bytes).map_err(malformed)?;
        self.files.push(ManifestFile {
            path: path.to_owned(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        });
        Ok(())
    }

    /// Adds a candidate's record (without password hashes).
    pub fn add_candidate(&mut self, candidate: &Candidate) -> Result<(), PackageError> {
        use std::io::Write as _;
        let mut line = serde_json::to_vec(&without_credentials(candidate)).map_err(malformed)?;
        line.push(b'\n');
        self.candidates.write_all(&line).map_err(malformed)?;
        self.candidates_digest.update(&line);
        self.candidates_bytes += line.len() as u64;
        self.candidate_count += 1;
        Ok(())
    }

    /// Whether the photo `sha256` is in already (candidates may share none, but a retake
    /// keeps its digest).
    pub fn has_photo(&self, sha256: &str) -> bool {
        self.photos.contains(sha256)
    }

    /// Adds a photo under its SHA-256 (64 hex digits, as the store names photos).
    pub fn add_photo(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), PackageError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed(format!("a photo named '{sha256}'")));
        }
        self.write_file(&format!("photos/{sha256}.jpg"), bytes)?;
        self.photos.insert(sha256.to_owned());
        Ok(())
    }

    /// Writes the package, encrypted for this deployment (`keys`: the `packages` ring), to
    /// `out`: manifest, signature, then every file, read back from disk one at a time.
    pub fn finish<W: std::io::Write>(
        mut self,
        keys: &KeyRing,
        created_at: String,
        out: W,
    ) -> Result<W, PackageError> {
        use std::io::Write as _;
        self.candidates.flush().map_err(malformed)?;
        self.files.insert(
            1,
            ManifestFile {
                path: "candidates.jsonl".into(),
                sha256: hex::encode(self.candidates_digest.finalize_reset()),
                bytes: self.candidates_bytes,
            },
        );
        let manifest = Manifest {
            format: FORMAT,
            county: self.county.clone(),
            created_at,
            candidates: self.candidate_count,
            files: self.files,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(malformed)?;
        let signed = signature(keys, &manifest_bytes);
        let mut archive = tar::Builder::new(sealed::Sealer::new(keys, out)?);
        let mut append = |path: &str, size: u64, bytes: &mut dyn Read| {
            let mut header = tar::Header::new_gnu();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_cksum();
            archive
                .append_data(&mut header, path, bytes)
                .map_err(malformed)
        };
        append(
            "manifest.json",
            manifest_bytes.len() as u64,
            &mut manifest_bytes.as_slice(),
        )?;
        append("manifest.sig", signed.len() as u64, &mut signed.as_bytes())?;
        for file in &manifest.files {
            let mut reader =
                std::fs::File::open(self.directory.path().join(&file.path)).map_err(malformed)?;
            append(&file.path, file.bytes, &mut reader)?;
        }
        archive.into_inner().map_err(malformed)?.finish()
    }
}

/// Largest `manifest.json` read (before its signature is checked).
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Largest `manifest.sig`.
const MAX_SIGNATURE_BYTES: u64 = 256;

/// The most a listed file may state as its size: the JSON records are bounded by a county's
/// serial numbers (10 points × 9,999 candidates of a few KB), a photo by the photo standard.
fn max_listed_bytes(path: &str) -> u64 {
    if path.starts_with("photos/") {
        1024 * 1024
    } else if path == "county.json" {
        16 * 1024 * 1024
    } else {
        400 * 1024 * 1024
    }
}

/// Refuses anything but a regular file of at most `limit` bytes (its header's size,
/// checked before a byte is read) — a link, a device, a GNU sparse file that would expand to
/// gigabytes of zeros — and returns its size.
fn regular_size(entry: &tar::Entry<'_, impl Read>, limit: u64) -> Result<u64, PackageError> {
    let header = entry.header();
    if header.entry_type() != tar::EntryType::Regular {
        return Err(malformed(format!(
            "{} is not a regular file",
            header
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )));
    }
    let size = header.size().map_err(malformed)?;
    if size > limit {
        return Err(malformed(format!(
            "an entry of {size} bytes is over its limit of {limit}"
        )));
    }
    Ok(size)
}

/// Reads one small regular-file entry whole (the manifest, its signature, `county.json`).
fn read_regular(
    entry: &mut tar::Entry<'_, impl Read>,
    limit: u64,
) -> Result<Vec<u8>, PackageError> {
    let size = regular_size(entry, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(malformed)?;
    if bytes.len() as u64 != size {
        return Err(malformed("an entry is shorter than its header says"));
    }
    Ok(bytes)
}

fn entry_path(entry: &tar::Entry<'_, impl Read>) -> Result<String, PackageError> {
    entry
        .path()
        .map_err(malformed)?
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| malformed("a path is not UTF-8"))
}

/// The longest line of `candidates.jsonl` read (one record, without its photo).
const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Where a file's bytes are in the plain tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    offset: u64,
    bytes: u64,
}

/// What streaming verification found: the manifest, the county's record, and where
/// `candidates.jsonl` and each photo are in the plain tar.
#[derive(Debug)]
pub struct Scanned {
    /// The manifest.
    pub manifest: Manifest,
    /// The county's record.
    pub county: County,
    candidates: Span,
    photos: BTreeMap<String, Span>,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    digest: Sha256,
    read: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.digest.update(&buffer[..read]);
        self.read += read as u64;
        Ok(read)
    }
}

/// The next record of `candidates.jsonl` (blank lines skipped), none longer than
/// [`MAX_RECORD_BYTES`]; `None` at the end. `line` is the caller's buffer, reused.
fn next_record(
    lines: &mut impl std::io::BufRead,
    line: &mut Vec<u8>,
) -> Result<Option<Candidate>, PackageError> {
    use std::io::BufRead as _;
    loop {
        line.clear();
        let read = lines
            .take(MAX_RECORD_BYTES as u64 + 1)
            .read_until(b'\n', line)
            .map_err(malformed)?;
        if read == 0 {
            return Ok(None);
        }
        if line.len() > MAX_RECORD_BYTES {
            return Err(malformed("a candidate record is too long"));
        }
        if !line.trim_ascii().is_empty() {
            return serde_json::from_slice(line).map(Some).map_err(malformed);
        }
    }
}

/// Verifies a (decrypted) package as it streams past, holding no more than the manifest,
/// the county's record and one candidate record at a time — never the candidates or
/// photos. The manifest and its signature come first and are verified before any other
/// entry is read; then only files the manifest lists are read, each only if its header
/// states exactly the listed size, each hashed as it passes and checked against its
/// SHA-256, every candidate record parsed. Nothing in the package is trusted, or imported,
/// before this returns.
pub fn scan(keys: &KeyRing, package: impl Read) -> Result<Scanned, PackageError> {
    let mut archive = tar::Archive::new(package);
    let mut entries = archive.entries().map_err(malformed)?;
    let mut next = |expected: &str, limit: u64| -> Result<Vec<u8>, PackageError> {
        let mut entry = entries
            .next()
            .ok_or_else(|| malformed(format!("no {expected}")))?
            .map_err(malformed)?;
        if entry_path(&entry)? != expected {
            return Err(malformed(format!("the package must begin with {expected}")));
        }
        read_regular(&mut entry, limit)
    };
    let manifest_bytes = next("manifest.json", MAX_MANIFEST_BYTES)?;
    let signed = next("manifest.sig", MAX_SIGNATURE_BYTES)?;
    verify(keys, &manifest_bytes, &signed)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(malformed)?;
    if manifest.format != FORMAT {
        return Err(malformed(format!(
            "format {}, this build reads {FORMAT}",
            manifest.format
        )));
    }
    let mut listed: BTreeMap<&str, &ManifestFile> = BTreeMap::new();
    let mut total: u64 = 0;
    for file in &manifest.files {
        if file.bytes > max_listed_bytes(&file.path) || listed.insert(&file.path, file).is_some() {
            return Err(malformed(format!("{} is listed wrongly", file.path)));
        }
        total = total.saturating_add(file.bytes);
    }
    if total > MAX_CONTENT_BYTES {
        return Err(malformed("the listed files are over the package limit"));
    }
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut county = None;
    let mut candidate_count = None;
    for entry in entries {
        let mut entry = entry.map_err(malformed)?;
        let path = entry_path(&entry)?;
        let Some(file) = listed.get(path.as_str()) else {
            return Err(PackageError::Checksum(format!("{path} is not listed")));
        };
        if seen.contains_key(&path) {
            return Err(PackageError::Checksum(format!("{path} appears twice")));
        }
        if entry.header().size().map_err(malformed)? != file.bytes {
            return Err(PackageError::Checksum(format!("{path} was changed")));
        }
        regular_size(&entry, file.bytes)?;
        let span = Span {
            offset: entry.raw_file_position(),
            bytes: file.bytes,
        };
        let mut hashing = Hashing {
            inner: (&mut entry).take(file.bytes),
            digest: Sha256::new(),
            read: 0,
        };
        match path.as_str() {
            "county.json" => {
                let mut bytes = Vec::new();
                hashing.read_to_end(&mut bytes).map_err(malformed)?;
                county = Some(serde_json::from_slice::<County>(&bytes).map_err(malformed));
            }
            // Parsed now, so that a bad record refuses the package before anything is
            // imported; read again, one page at a time, by the import.
            "candidates.jsonl" => {
                let mut lines = std::io::BufReader::new(&mut hashing);
                let mut line = Vec::new();
                let mut count = 0;
                candidate_count = Some(loop {
                    match next_record(&mut lines, &mut line) {
                        Ok(Some(_)) => count += 1,
                        Ok(None) => break Ok(count),
                        Err(error) => break Err(error),
                    }
                });
            }
            _ => {
                std::io::copy(&mut hashing, &mut std::io::sink()).map_err(malformed)?;
            }
        }
        // Whatever a parser left unread still counts (and must be there: a truncated
        // entry is as changed as an altered one).
        std::io::copy(&mut hashing, &mut std::io::sink()).map_err(malformed)?;
        if hashing.read != file.bytes || hex::encode(hashing.digest.finalize()) != file.sha256 {
            return Err(PackageError::Checksum(format!("{path} was changed")));
        }
        seen.insert(path, span);
    }
    if let Some(missing) = manifest
        .files
        .iter()
        .find(|file| !seen.contains_key(&file.path))
    {
        return Err(PackageError::Checksum(format!(
            "{} is missing",
            missing.path
        )));
    }
    let count = candidate_count.ok_or_else(|| malformed("no candidates.jsonl"))??;
    let county = county.ok_or_else(|| malformed("no county.json"))??;
    if county.code.to_string() != manifest.county || count != manifest.candidates {
        return Err(malformed(
            "the content does not match the manifest's county or count",
        ));
    }
    let candidates = seen
        .get("candidates.jsonl")
        .copied()
        .ok_or_else(|| malformed("no candidates.jsonl"))?;
    let photos = seen
        .into_iter()
        .filter_map(|(path, span)| {
            let sha256 = path
                .strip_prefix("photos/")?
                .strip_suffix(".jpg")?
                .to_owned();
            Some((sha256, span))
        })
        .collect();
    Ok(Scanned {
        manifest,
        county,
        candidates,
        photos,
    })
}

/// A package verified whole ([`scan`]), kept as its plain tar in a temporary file (deleted
/// when dropped), read back page by page as it is imported: memory is bounded by a page,
/// never by the package.
#[derive(Debug)]
pub struct Verified {
    /// What verification found.
    pub scanned: Scanned,
    plain: std::fs::File,
}

/// Decrypts a sealed package to a temporary file and verifies it with [`scan`]. Refused as
/// [`PackageError::Signature`] unless it is this deployment's untouched envelope.
pub fn verify_sealed(keys: &KeyRing, sealed: impl Read) -> Result<Verified, PackageError> {
    use std::io::Seek as _;
    let mut plain = tempfile::tempfile().map_err(malformed)?;
    sealed::open(keys, sealed, std::io::BufWriter::new(&mut plain))?;
    plain.seek(std::io::SeekFrom::Start(0)).map_err(malformed)?;
    let scanned = scan(keys, std::io::BufReader::new(&plain))?;
    Ok(Verified { scanned, plain })
}

impl Verified {
    /// The candidates, each with its photo, a page at a time.
    pub fn pages(&self) -> Result<Pages, PackageError> {
        use std::io::Seek as _;
        let mut file = self.plain.try_clone().map_err(malformed)?;
        file.seek(std::io::SeekFrom::Start(self.scanned.candidates.offset))
            .map_err(malformed)?;
        Ok(Pages {
            records: std::io::BufReader::new(file).take(self.scanned.candidates.bytes),
            photos_file: self.plain.try_clone().map_err(malformed)?,
            photos: self.scanned.photos.clone(),
        })
    }
}

/// A candidate read back from a verified package, with its photo if the package has it.
pub type Imported = (Candidate, Option<Vec<u8>>);

/// The candidates of a verified package, read back a page at a time.
pub struct Pages {
    records: std::io::Take<std::io::BufReader<std::fs::File>>,
    photos_file: std::fs::File,
    photos: BTreeMap<String, Span>,
}

impl Pages {
    /// Up to `size` candidates, each with its photo (if the package has it); empty at the
    /// end. Blocking (reads the temporary file).
    pub fn next_page(&mut self, size: usize) -> Result<Vec<Imported>, PackageError> {
        use std::io::Seek as _;
        let mut page = Vec::new();
        let mut line = Vec::new();
        while page.len() < size {
            let Some(candidate) = next_record(&mut self.records, &mut line)? else {
                break;
            };
            let photo = match self.photos.get(&candidate.capture.photo.sha256) {
                Some(span) => {
                    self.photos_file
                        .seek(std::io::SeekFrom::Start(span.offset))
                        .map_err(malformed)?;
                    let mut bytes = Vec::with_capacity(usize::try_from(span.bytes).unwrap_or(0));
                    (&mut self.photos_file)
                        .take(span.bytes)
                        .read_to_end(&mut bytes)
                        .map_err(malformed)?;
                    // Verified when scanned; the temporary file is ours, but a photo is
                    // cheap to check again before it is stored under its digest.
                    if sha256_hex(&bytes) != candidate.capture.photo.sha256 {
                        return Err(PackageError::Checksum("a photo changed on disk".into()));
                    }
                    Some(bytes)
                }
                None => None,
            };
            page.push((candidate, photo));
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut archive = tar::Builder::new(Vec::new());
        for (path, kind, bytes) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            archive
                .append_data(&mut header, path, *bytes)
                .expect("appends");
        }
        archive.into_inner().expect("tar")
    }

    /// A ~2 KB GNU sparse entry that claims a terabyte: read as a regular entry, it expands
    /// to a terabyte of zeros.
    fn sparse_bomb(path: &str) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).expect("path");
        header.set_entry_type(tar::EntryType::GNUSparse);
        header.set_size(512);
        header.set_mode(0o644);
        let gnu = header.as_gnu_mut().expect("gnu header");
        gnu.set_real_size(1 << 40);
        gnu.sparse[0].set_offset((1 << 40) - 512);
        gnu.sparse[0].set_length(512);
        header.set_cksum();
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend_from_slice(&[0u8; 512]);
        bytes.extend_from_slice(&[0u8; 1024]);
        bytes
    }

    fn signed_manifest(key: &KeyRing, files: Vec<ManifestFile>) -> (Vec<u8>, Vec<u8>) {
        let manifest = serde_json::to_vec(&Manifest {
            format: FORMAT,
            county: "430102".into(),
            created_at: "2026-11-28 09:00".into(),
            candidates: 0,
            files,
        })
        .expect("json");
        let signed = signature(key, &manifest);
        (manifest, signed.into_bytes())
    }

    /// Security audit item 2: `open` read every entry before verifying the signature, and
    /// GNU sparse entries expanded to arbitrary zeros, so a 2 KB upload could kill the node.
    #[test]
    fn item_2_bombs_and_unlisted_entries_are_refused_before_they_are_read() {
        let key = &KeyRing::single("1", vec![1; 32]).expect("valid");
        // A bomb before anything else: refused at once (the manifest must come first).
        let bomb = sparse_bomb("candidates.jsonl");
        assert!(bomb.len() < 4096);
        assert!(matches!(
            scan(key, bomb.as_slice()),
            Err(PackageError::Malformed(_))
        ));
        // A bomb as the manifest itself: not a regular file.
        assert!(matches!(
            scan(key, sparse_bomb("manifest.json").as_slice()),
            Err(PackageError::Malformed(_))
        ));
        // A forged manifest: refused before any other entry is looked at.
        let (manifest, _) = signed_manifest(
            &KeyRing::single("1", vec![2; 32]).expect("valid"),
            Vec::new(),
        );
        let forged = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, b"00"),
        ]);
        assert_eq!(
            scan(key, forged.as_slice()).err(),
            Some(PackageError::Signature)
        );
        // A genuine manifest followed by a bomb under a listed name: not a regular file.
        let listed = vec![ManifestFile {
            path: "candidates.jsonl".into(),
            sha256: sha256_hex(b""),
            bytes: 0,
        }];
        let (manifest, signed) = signed_manifest(key, listed);
        let mut package = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
        ]);
        package.truncate(package.len() - 1024);
        package.extend_from_slice(&sparse_bomb("candidates.jsonl"));
        assert!(scan(key, package.as_slice()).is_err());
        // A listed file whose header states another size: refused before reading it.
        let listed = vec![ManifestFile {
            path: "county.json".into(),
            sha256: sha256_hex(b"{}"),
            bytes: 2,
        }];
        let (manifest, signed) = signed_manifest(key, listed);
        let grown = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
            ("county.json", tar::EntryType::Regular, &[b' '; 4096]),
        ]);
        assert!(matches!(
            scan(key, grown.as_slice()),
            Err(PackageError::Checksum(_))
        ));
        // A symlink, even listed: refused.
        let link = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
            ("county.json", tar::EntryType::Symlink, b"{}"),
        ]);
        assert!(scan(key, link.as_slice()).is_err());
        // A manifest listing more than a package may hold: refused as listed.
        let huge = vec![ManifestFile {
            path: "photos/x.jpg".into(),
            sha256: sha256_hex(b""),
            bytes: 1 << 40,
        }];
        let (manifest, signed) = signed_manifest(key, huge);
        let listed_huge = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
        ]);
        assert!(matches!(
            scan(key, listed_huge.as_slice()),
            Err(PackageError::Malformed(_))
        ));
    }

    /// Records are parsed as they stream past, one line at a time: a line longer than any
    /// record (a megabyte without a newline) is refused without being held whole.
    #[test]
    fn candidate_records_are_read_a_bounded_line_at_a_time() {
        let key = &KeyRing::single("1", vec![1; 32]).expect("valid");
        let endless = vec![b'x'; 1024 * 1024];
        let listed = vec![ManifestFile {
            path: "candidates.jsonl".into(),
            sha256: sha256_hex(&endless),
            bytes: endless.len() as u64,
        }];
        let (manifest, signed) = signed_manifest(key, listed);
        let package = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
            ("candidates.jsonl", tar::EntryType::Regular, &endless),
        ]);
        match scan(key, package.as_slice()) {
            Err(PackageError::Malformed(message)) => assert!(message.contains("too long")),
            other => panic!("{other:?}"),
        }
        // A record that is not one: refused as malformed, before anything is imported.
        let bad = b"{\"not\": \"a candidate\"}\n".to_vec();
        let listed = vec![ManifestFile {
            path: "candidates.jsonl".into(),
            sha256: sha256_hex(&bad),
            bytes: bad.len() as u64,
        }];
        let (manifest, signed) = signed_manifest(key, listed);
        let package = tar_of(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            ("manifest.sig", tar::EntryType::Regular, &signed),
            ("candidates.jsonl", tar::EntryType::Regular, &bad),
        ]);
        match scan(key, package.as_slice()) {
            Err(PackageError::Malformed(message)) => {
                assert!(!message.contains("county.json"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
