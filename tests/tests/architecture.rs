//! Architecture rules that must stay true as the code grows (ARCHITECTURE.md, "Invariants").

use std::path::Path;

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
}

/// The names in a manifest's `[dependencies]` table (not dev- or build-dependencies).
fn normal_dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies
            && !line.is_empty()
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            names.push(name.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    names
}

/// The loadtest drives the server over HTTP like any client would; compiling the server
/// into it would let it lean on internals (and hide a broken public contract).
#[test]
fn the_loadtest_is_a_black_box_client() {
    let manifest = std::fs::read_to_string(workspace_root().join("loadtest/Cargo.toml"))
        .expect("loadtest manifest");
    let dependencies = normal_dependencies(&manifest);
    assert!(
        dependencies.contains(&"engine".to_owned()),
        "parser sanity: {dependencies:?}"
    );
    for internal in ["gateway", "actors", "storage"] {
        assert!(
            !dependencies.contains(&internal.to_owned()),
            "the loadtest depends on {internal}"
        );
    }
}

#[test]
fn engine_depends_on_no_runtime_store_or_framework() {
    let manifest = std::fs::read_to_string(workspace_root().join("engine/Cargo.toml"))
        .expect("engine manifest");
    let dependencies = normal_dependencies(&manifest);
    assert!(
        dependencies.contains(&"serde".to_owned()),
        "parser sanity: {dependencies:?}"
    );
    let forbidden = [
        "tokio",
        "actix",
        "actix-web",
        "actix-rt",
        "redb",
        "fjall",
        "rdkafka",
        "scylla",
        "hyper",
        "reqwest",
        "metrics",
        "tracing",
        "chrono",
        "rand",
        "governor",
        "dashmap",
        "storage",
        "actors",
        "gateway",
    ];
    for name in forbidden {
        assert!(
            !dependencies.iter().any(|d| d == name),
            "engine must stay pure but depends on {name}"
        );
    }
}

#[test]
fn engine_never_reads_a_clock_or_touches_io() {
    let source = workspace_root().join("engine/src");
    let mut stack = vec![source];
    let mut files = 0;
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("utf-8 source");
            files += 1;
            for banned in [
                "SystemTime",
                "Instant::now",
                "std::fs",
                "std::net",
                "std::thread",
                "std::env",
                "println!",
            ] {
                assert!(!text.contains(banned), "{} uses {banned}", path.display());
            }
        }
    }
    assert!(files >= 10, "scanned only {files} files");
}

#[test]
fn every_rust_source_file_starts_with_a_module_doc() {
    let root = workspace_root();
    let mut missing = Vec::new();
    let mut stack: Vec<_> = [
        "engine", "storage", "actors", "gateway", "loadtest", "tests",
    ]
    .iter()
    .map(|crate_dir| root.join(crate_dir).join("src"))
    .collect();
    while let Some(directory) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("utf-8 source");
                if !text.trim_start().starts_with("//!") {
                    missing.push(path.display().to_string());
                }
            }
        }
    }
    assert!(missing.is_empty(), "files without a //! doc: {missing:?}");
}
