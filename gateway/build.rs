//! Obtains the CJK font the printable documents embed, at build time, from a package registry.
//!
//! Printed forms carry names in Chinese, and names use characters far outside GB2312 (喆, 堃,
//! 頔…), so the font must cover the whole of Simplified Chinese: Noto Sans SC (SIL OFL 1.1),
//! as published on the npm registry in `@expo-google-fonts/noto-sans-sc`. The tarball is
//! checked against the registry's published sha512 integrity before anything is extracted, so
//! a changed or truncated download fails the build instead of shipping. Nothing is fetched at
//! run time: the font is compiled into the binary (`include_bytes!`).
//!
//! Offline builds: set `REG_CJK_FONT_TARBALL` to a local copy of that same tarball (checked the
//! same way). The download is cached under the target directory so that each profile does not
//! fetch it again.

use base64::Engine as _;
use sha2::{Digest, Sha512};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARBALL_URL: &str =
    "https://registry.npmjs.org/@expo-google-fonts/noto-sans-sc/-/noto-sans-sc-0.4.3.tgz";
/// The registry's `dist.integrity` for that version.
const TARBALL_SHA512_BASE64: &str =
    "9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==";
const MEMBER: &str = "package/400Regular/NotoSansSC_400Regular.ttf";
const OUTPUT: &str = "NotoSansSC-Regular.ttf";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=REG_CJK_FONT_TARBALL");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let output = out_dir.join(OUTPUT);
    if output.exists() {
        return;
    }
    let tarball = match std::env::var_os("REG_CJK_FONT_TARBALL") {
        Some(path) => PathBuf::from(path),
        None => cached_download(&out_dir),
    };
    verify(&tarball);
    extract(&tarball, &out_dir, &output);
}

/// `<target>/font-cache/…`: OUT_DIR is `<target>/<profile>/build/<pkg>-<hash>/out`, so the
/// cache is shared by debug, release and test builds. Falls back to OUT_DIR on other layouts.
fn cached_download(out_dir: &Path) -> PathBuf {
    let cache_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|target| target.join("font-cache"))
        .unwrap_or_else(|| out_dir.to_path_buf());
    std::fs::create_dir_all(&cache_dir).expect("create the font cache directory");
    let tarball = cache_dir.join("noto-sans-sc-0.4.3.tgz");
    if tarball.exists() && matches_integrity(&tarball) {
        return tarball;
    }
    let partial = cache_dir.join(format!("noto-sans-sc-0.4.3.tgz.{}", std::process::id()));
    let status = Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location"])
        .args(["--retry", "3", "--output"])
        .arg(&partial)
        .arg(TARBALL_URL)
        .status()
        .expect("run curl to fetch the CJK font (or set REG_CJK_FONT_TARBALL)");
    assert!(status.success(), "downloading {TARBALL_URL} failed");
    // Rename is atomic, so a concurrent build never reads a half-written tarball.
    std::fs::rename(&partial, &tarball).expect("move the downloaded font into the cache");
    tarball
}

fn matches_integrity(tarball: &Path) -> bool {
    let bytes = std::fs::read(tarball).expect("read the font tarball");
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes));
    digest == TARBALL_SHA512_BASE64
}

fn verify(tarball: &Path) {
    assert!(
        matches_integrity(tarball),
        "{} does not match the npm registry's sha512 integrity for noto-sans-sc 0.4.3",
        tarball.display()
    );
}

fn extract(tarball: &Path, out_dir: &Path, output: &Path) {
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(out_dir)
        .arg(MEMBER)
        .status()
        .expect("run tar to extract the font");
    assert!(status.success(), "extracting {MEMBER} failed");
    std::fs::rename(out_dir.join(MEMBER), output).expect("move the extracted font into place");
}
