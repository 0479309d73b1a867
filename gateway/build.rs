//! Obtains, at build time from the npm registry, the files the binary embeds: the CJK font
//! the printable documents use, and htmx for the pages.
//!
//! Printed forms carry names in Chinese, and names use characters far outside GB2312 (喆, 堃,
//! 頔…), so the font must cover the whole of Simplified Chinese: Noto Sans SC (SIL OFL 1.1),
//! as published on the npm registry in `@expo-google-fonts/noto-sans-sc`. The tarball is
//! checked against the registry's published sha512 integrity before anything is extracted, so
//! a changed or truncated download fails the build instead of shipping. Nothing is fetched at
//! run time: the font is compiled into the binary (`include_bytes!`).
//!
//! htmx (BSD-2-Clause, `htmx.org` 2.0.11) is obtained and checked the same way and served by
//! the binary at `/assets/htmx.min.js`: the pages work without it (every form is a plain
//! form), it only spares a full reload where a part of a page changes.
//!
//! Offline builds: set `REG_CJK_FONT_TARBALL` / `REG_HTMX_TARBALL` to local copies of those
//! same tarballs (checked the same way). Downloads are cached under the target directory so
//! that each profile does not fetch them again.

use base64::Engine as _;
use sha2::{Digest, Sha512};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file inside a tarball of the npm registry.
struct Asset {
    /// The tarball.
    url: &'static str,
    /// The registry's `dist.integrity` for that version (sha512, base64).
    sha512_base64: &'static str,
    /// The file in the tarball.
    member: &'static str,
    /// Its name in OUT_DIR.
    output: &'static str,
    /// The variable naming a local copy of the tarball.
    offline: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset {
        url: "https://registry.npmjs.org/@expo-google-fonts/noto-sans-sc/-/noto-sans-sc-0.4.3.tgz",
        sha512_base64: "9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==",
        member: "package/400Regular/NotoSansSC_400Regular.ttf",
        output: "NotoSansSC-Regular.ttf",
        offline: "REG_CJK_FONT_TARBALL",
    },
    Asset {
        url: "https://registry.npmjs.org/htmx.org/-/htmx.org-2.0.11.tgz",
        sha512_base64: "Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        member: "package/dist/htmx.min.js",
        output: "htmx.min.js",
        offline: "REG_HTMX_TARBALL",
    },
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for asset in &ASSETS {
        println!("cargo::rerun-if-env-changed={}", asset.offline);
        let output = out_dir.join(asset.output);
        if output.exists() {
            continue;
        }
        let tarball = match std::env::var_os(asset.offline) {
            Some(path) => PathBuf::from(path),
            None => cached_download(asset, &out_dir),
        };
        verify(asset, &tarball);
        extract(asset, &tarball, &out_dir, &output);
    }
}

/// `<target>/font-cache/…`: OUT_DIR is `<target>/<profile>/build/<pkg>-<hash>/out`, so the
/// cache is shared by debug, release and test builds. Falls back to OUT_DIR on other layouts.
fn cached_download(asset: &Asset, out_dir: &Path) -> PathBuf {
    let cache_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|target| target.join("font-cache"))
        .unwrap_or_else(|| out_dir.to_path_buf());
    std::fs::create_dir_all(&cache_dir).expect("create the font cache directory");
    let name = asset.url.rsplit('/').next().unwrap_or(asset.output);
    let tarball = cache_dir.join(name);
    if tarball.exists() && matches_integrity(asset, &tarball) {
        return tarball;
    }
    let partial = cache_dir.join(format!("{name}.{}", std::process::id()));
    let status = Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location"])
        .args(["--retry", "3", "--output"])
        .arg(&partial)
        .arg(asset.url)
        .status()
        .unwrap_or_else(|_| panic!("run curl to fetch {} (or set {})", asset.url, asset.offline));
    assert!(status.success(), "downloading {} failed", asset.url);
    // Rename is atomic, so a concurrent build never reads a half-written tarball.
    std::fs::rename(&partial, &tarball).expect("move the download into the cache");
    tarball
}

fn matches_integrity(asset: &Asset, tarball: &Path) -> bool {
    let bytes = std::fs::read(tarball).expect("read the tarball");
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes));
    digest == asset.sha512_base64
}

fn verify(asset: &Asset, tarball: &Path) {
    assert!(
        matches_integrity(asset, tarball),
        "{} does not match the npm registry's sha512 integrity of {}",
        tarball.display(),
        asset.url
    );
}

fn extract(asset: &Asset, tarball: &Path, out_dir: &Path, output: &Path) {
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(out_dir)
        .arg(asset.member)
        .status()
        .expect("run tar to extract the asset");
    assert!(status.success(), "extracting {} failed", asset.member);
    std::fs::rename(out_dir.join(asset.member), output)
        .expect("move the extracted file into place");
}
