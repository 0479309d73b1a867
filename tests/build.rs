//! Obtains axe-core (MPL-2.0, the accessibility engine) from the npm registry at build time
//! for the browser tests, checked against the registry's published sha512 integrity before
//! it is extracted, like the gateway's font and htmx (`gateway/build.rs`). Offline builds set
//! `REG_AXE_TARBALL` to a local copy of the same tarball.

use base64::Engine as _;
use sha2::{Digest, Sha512};
use std::path::PathBuf;
use std::process::Command;

const URL: &str = "https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz";
const SHA512_BASE64: &str =
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==";
const MEMBER: &str = "package/axe.min.js";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=REG_AXE_TARBALL");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let output = out_dir.join("axe.min.js");
    if output.exists() {
        return;
    }
    let tarball = match std::env::var_os("REG_AXE_TARBALL") {
        Some(path) => PathBuf::from(path),
        None => {
            let tarball = out_dir.join("axe-core.tgz");
            let status = Command::new("curl")
                .args([
                    "--fail",
                    "--silent",
                    "--show-error",
                    "--location",
                    "--retry",
                    "3",
                    "--output",
                ])
                .arg(&tarball)
                .arg(URL)
                .status()
                .expect("run curl to fetch axe-core (or set REG_AXE_TARBALL)");
            assert!(status.success(), "downloading {URL} failed");
            tarball
        }
    };
    let bytes = std::fs::read(&tarball).expect("read the axe-core tarball");
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes));
    assert_eq!(
        digest,
        SHA512_BASE64,
        "{} is not axe-core 4.14.1 as published",
        tarball.display()
    );
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&out_dir)
        .arg(MEMBER)
        .status()
        .expect("run tar");
    assert!(status.success(), "extracting {MEMBER} failed");
    std::fs::rename(out_dir.join(MEMBER), output).expect("move axe.min.js into place");
}
