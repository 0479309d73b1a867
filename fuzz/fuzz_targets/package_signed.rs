//! County packages past the signature: the fuzzer's bytes become the files of a package
//! whose manifest is correctly signed (and, half the time, sealed) — so what `scan` and the
//! import's page reader do with hostile *content* (county records, candidate lines, photos)
//! is fuzzed, not only the envelope and the manifest, which random bytes never get past.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

static KEYS: LazyLock<storage::keys::KeyRing> =
    LazyLock::new(|| storage::keys::KeyRing::single("k1", vec![7; 32]).expect("a key ring"));

fn tar_of(files: &[(String, &[u8])]) -> Vec<u8> {
    let mut archive = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        if archive.append_data(&mut header, path, *bytes).is_err() {
            return Vec::new();
        }
    }
    archive.into_inner().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let mut pieces = data.splitn(4, |byte| *byte == 0xff);
    let county = pieces.next().unwrap_or_default();
    let candidates = pieces.next().unwrap_or_default();
    let mut files: Vec<(String, &[u8])> = vec![
        ("county.json".to_owned(), county),
        ("candidates.jsonl".to_owned(), candidates),
    ];
    for photo in pieces {
        files.push((format!("photos/{}.jpg", hex::encode(Sha256::digest(photo))), photo));
    }
    let manifest = gateway::packages::Manifest {
        format: gateway::packages::FORMAT,
        county: String::from_utf8_lossy(county.get(..6).unwrap_or_default()).into_owned(),
        created_at: "2026-12-07 09:00".to_owned(),
        candidates: candidates
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.trim_ascii().is_empty())
            .count() as u64,
        files: files
            .iter()
            .map(|(path, bytes)| gateway::packages::ManifestFile {
                path: path.clone(),
                sha256: hex::encode(Sha256::digest(bytes)),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    let Ok(manifest_bytes) = serde_json::to_vec(&manifest) else {
        return;
    };
    let (id, tag) = KEYS.sign(&manifest_bytes);
    let signed = format!("{id}.{}", hex::encode(tag));
    let mut all: Vec<(String, &[u8])> = vec![
        ("manifest.json".to_owned(), &manifest_bytes),
        ("manifest.sig".to_owned(), signed.as_bytes()),
    ];
    all.extend(files);
    let package = tar_of(&all);
    if mode & 1 == 0 {
        let _ = gateway::packages::scan(&KEYS, package.as_slice());
        return;
    }
    use std::io::Write as _;
    let Ok(mut sealer) = gateway::packages::sealed::Sealer::new(&KEYS, Vec::new()) else {
        return;
    };
    if sealer.write_all(&package).is_err() {
        return;
    }
    let Ok(sealed) = sealer.finish() else {
        return;
    };
    if let Ok(verified) = gateway::packages::verify_sealed(&KEYS, sealed.as_slice())
        && let Ok(mut pages) = verified.pages()
    {
        while let Ok(page) = pages.next_page(8) {
            if page.is_empty() {
                break;
            }
        }
    }
});
