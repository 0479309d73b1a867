//! The encrypted envelope around a county package: a package travels on discs, USB sticks
//! and mail between offices and carries minors' ID numbers, phones and photos, so on the
//! way it is ciphertext (security audit item 7).
//!
//! ```text
//! magic "GKPKG\0\0\x01" (8) | key id length (1) | key id | nonce prefix (7) | chunks
//! ```
//!
//! The chunks are AES-256-GCM in the STREAM construction (RustCrypto `aead::stream`,
//! big-endian 32-bit counter and a last-chunk flag in the nonce): each 64 KiB of plaintext
//! becomes one chunk with its own tag, so a package is encrypted and decrypted as it streams
//! in bounded memory, and reordering, dropping, truncating or changing any chunk fails.
//! The key is derived (HMAC-SHA256, label below) from the key of the deployment's `packages`
//! ring that the key id names, apart from the key that signs the manifest.
//!
//! Why a deployment key and not a receiving office's public key: a package is imported by
//! a node of the same deployment (the city's or the province's instance), which must hold
//! the decryption key anyway; an office's workstation never opens it. What the envelope
//! stops is whoever finds the disc.

use super::PackageError;
use aead::stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::{Aes256Gcm, KeyInit};
use std::io::{Read, Write};
use storage::keys::KeyRing;

const MAGIC: &[u8; 8] = b"GKPKG\0\0\x01";
/// Plaintext bytes per chunk.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const NONCE_PREFIX: usize = 7;
const LABEL: &[u8] = b"county package encryption";

fn cipher(keys: &KeyRing, id: &str) -> Option<Aes256Gcm> {
    let key = keys.derive(id, LABEL)?;
    Aes256Gcm::new_from_slice(&key).ok()
}

fn io(error: std::io::Error) -> PackageError {
    PackageError::Malformed(error.to_string())
}

/// Encrypts everything written to it into `inner`; [`Sealer::finish`] writes the last chunk.
pub struct Sealer<W: Write> {
    inner: W,
    encryptor: EncryptorBE32<Aes256Gcm>,
    buffer: Vec<u8>,
}

impl<W: Write> Sealer<W> {
    /// Writes the header to `inner` (signing key of `keys`, a fresh nonce prefix).
    pub fn new(keys: &KeyRing, mut inner: W) -> Result<Sealer<W>, PackageError> {
        let (id, _) = keys.signing();
        let cipher = cipher(keys, id).ok_or(PackageError::Signature)?;
        let mut nonce = [0u8; NONCE_PREFIX];
        getrandom::fill(&mut nonce).map_err(|error| PackageError::Malformed(error.to_string()))?;
        let id_length =
            u8::try_from(id.len()).map_err(|_| PackageError::Malformed("key id".into()))?;
        inner.write_all(MAGIC).map_err(io)?;
        inner.write_all(&[id_length]).map_err(io)?;
        inner.write_all(id.as_bytes()).map_err(io)?;
        inner.write_all(&nonce).map_err(io)?;
        Ok(Sealer {
            inner,
            encryptor: EncryptorBE32::from_aead(cipher, (&nonce).into()),
            buffer: Vec::with_capacity(2 * CHUNK),
        })
    }

    /// Encrypts the last chunk and returns the inner writer.
    pub fn finish(mut self) -> Result<W, PackageError> {
        let last = self
            .encryptor
            .encrypt_last(self.buffer.as_slice())
            .map_err(|_| PackageError::Malformed("encryption failed".into()))?;
        self.inner.write_all(&last).map_err(io)?;
        self.inner.flush().map_err(io)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        // Keep at least one byte back: the last chunk is sealed differently, in `finish`.
        while self.buffer.len() > CHUNK {
            let sealed = self
                .encryptor
                .encrypt_next(&self.buffer[..CHUNK])
                .map_err(|_| std::io::Error::other("encryption failed"))?;
            self.inner.write_all(&sealed)?;
            self.buffer.drain(..CHUNK);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a sealed package from `sealed` into `plain`. Anything but this deployment's
/// untouched envelope — another deployment's key, a changed, missing, reordered or extra
/// byte — is refused as [`PackageError::Signature`]; something that is not an envelope at
/// all as malformed. On refusal `plain` holds only chunks that verified.
pub fn open(
    keys: &KeyRing,
    mut sealed: impl Read,
    mut plain: impl Write,
) -> Result<(), PackageError> {
    let mut magic = [0u8; 8];
    sealed
        .read_exact(&mut magic)
        .map_err(|_| PackageError::Malformed("not a county package".into()))?;
    if &magic != MAGIC {
        return Err(PackageError::Malformed(
            "not a county package (unknown format)".into(),
        ));
    }
    let mut id_length = [0u8; 1];
    sealed
        .read_exact(&mut id_length)
        .map_err(|_| PackageError::Signature)?;
    let mut id = vec![0u8; usize::from(id_length[0])];
    sealed
        .read_exact(&mut id)
        .map_err(|_| PackageError::Signature)?;
    let id = String::from_utf8(id).map_err(|_| PackageError::Signature)?;
    let cipher = cipher(keys, &id).ok_or(PackageError::Signature)?;
    let mut nonce = [0u8; NONCE_PREFIX];
    sealed
        .read_exact(&mut nonce)
        .map_err(|_| PackageError::Signature)?;
    let mut decryptor = DecryptorBE32::from_aead(cipher, (&nonce).into());
    // One chunk ahead: a full chunk is the last only if nothing follows it.
    let mut chunk = read_chunk(&mut sealed)?;
    loop {
        let next = if chunk.len() == CHUNK + TAG {
            read_chunk(&mut sealed)?
        } else {
            Vec::new()
        };
        if next.is_empty() {
            let last = decryptor
                .decrypt_last(chunk.as_slice())
                .map_err(|_| PackageError::Signature)?;
            plain.write_all(&last).map_err(io)?;
            return plain.flush().map_err(io);
        }
        let opened = decryptor
            .decrypt_next(chunk.as_slice())
            .map_err(|_| PackageError::Signature)?;
        plain.write_all(&opened).map_err(io)?;
        chunk = next;
    }
}

/// Up to one whole sealed chunk (fewer bytes only at the end).
fn read_chunk(sealed: &mut impl Read) -> Result<Vec<u8>, PackageError> {
    let mut chunk = Vec::with_capacity(CHUNK + TAG);
    sealed
        .take((CHUNK + TAG) as u64)
        .read_to_end(&mut chunk)
        .map_err(io)?;
    Ok(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(byte: u8) -> KeyRing {
        KeyRing::single("1", vec![byte; 32]).expect("valid")
    }

    fn seal(keys: &KeyRing, plain: &[u8]) -> Vec<u8> {
        let mut sealer = Sealer::new(keys, Vec::new()).expect("sealer");
        // In uneven pieces, as a tar builder writes.
        for piece in plain.chunks(10_007) {
            sealer.write_all(piece).expect("writes");
        }
        sealer.finish().expect("finishes")
    }

    fn unseal(keys: &KeyRing, sealed: &[u8]) -> Result<Vec<u8>, PackageError> {
        let mut plain = Vec::new();
        open(keys, sealed, &mut plain).map(|()| plain)
    }

    /// Security audit item 7: packages carried clear ID numbers, phones and photos.
    #[test]
    fn item_7_packages_are_ciphertext_that_only_this_deployment_opens_untouched() {
        let keys = ring(1);
        let secret = "430102200801010011 张三 13800000000".as_bytes();
        for length in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5] {
            let plain: Vec<u8> = secret.iter().copied().cycle().take(length).collect();
            let sealed = seal(&keys, &plain);
            if length >= secret.len() {
                assert!(
                    !sealed.windows(secret.len()).any(|window| window == secret),
                    "clear text in the envelope"
                );
            }
            assert_eq!(unseal(&keys, &sealed).expect("opens"), plain, "{length}");
        }
        let plain: Vec<u8> = (0..3 * CHUNK + 5).map(|i| (i % 251) as u8).collect();
        let sealed = seal(&keys, &plain);
        assert_eq!(
            unseal(&ring(2), &sealed),
            Err(PackageError::Signature),
            "another deployment"
        );
        let rotated =
            KeyRing::new(vec![("2".into(), vec![2; 32]), ("1".into(), vec![1; 32])]).expect("ring");
        assert_eq!(
            unseal(&rotated, &sealed).expect("old key still opens"),
            plain
        );
        for at in [9, 20, 30, CHUNK + TAG + 20, sealed.len() - 1] {
            let mut changed = sealed.clone();
            changed[at] ^= 1;
            assert_eq!(
                unseal(&keys, &changed),
                Err(PackageError::Signature),
                "byte {at}"
            );
        }
        // Truncated at a chunk boundary: the new last chunk is not marked last.
        let header = MAGIC.len() + 2 + NONCE_PREFIX;
        for cut in [
            header + CHUNK + TAG,
            header + 2 * (CHUNK + TAG),
            sealed.len() - 1,
        ] {
            assert_eq!(
                unseal(&keys, &sealed[..cut]),
                Err(PackageError::Signature),
                "cut {cut}"
            );
        }
        // Two chunks swapped.
        let mut swapped = sealed[..header].to_vec();
        swapped.extend_from_slice(&sealed[header + CHUNK + TAG..header + 2 * (CHUNK + TAG)]);
        swapped.extend_from_slice(&sealed[header..header + CHUNK + TAG]);
        swapped.extend_from_slice(&sealed[header + 2 * (CHUNK + TAG)..]);
        assert_eq!(unseal(&keys, &swapped), Err(PackageError::Signature));
        assert!(matches!(
            unseal(&keys, b"not a tar file"),
            Err(PackageError::Malformed(_))
        ));
    }
}
