//! Tells cargo how to get libindexbus, and with the `bindgen` feature
//! regenerates the raw bindings from the public C header.
//!
//! The bindings are committed (`src/bindings.rs`), so a default build needs no
//! libclang. `--features bindgen` generates them at build time instead (and
//! writes a copy to `$INDEXBUS_BINDINGS_OUT` when set: `make check-rust` uses
//! that to fail on any difference from the committed file).
//!
//! The library, first match wins:
//!
//! * `bundled` feature: compiled from its C sources with the `cc` crate
//!   (`csrc/`: symlinks to the repository's `lib/` and `abi/include`, which
//!   `cargo package` turns into real files), so a user needs nothing
//!   installed, as with zstd-sys or libgit2-sys.
//! * `$INDEXBUS_LIB_DIR` (set by `bindings/rust/rust.mk` to the make build
//!   dir), else, only when building inside the repository, its `build/`.
//! * pkg-config (`indexbus.pc`, installed by `make install`).
//!
//! Linking: the static `libindexbus.a` is preferred (plus `rt` and
//! `pthread`), from a directory or through pkg-config, so programs need no
//! rpath and can never pick up a different `libindexbus.so` at run time;
//! `INDEXBUS_LINK=dylib` links the shared one instead.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    for var in [
        "INDEXBUS_LIB_DIR",
        "INDEXBUS_INCLUDE_DIR",
        "INDEXBUS_LINK",
        "INDEXBUS_BINDINGS_OUT",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    #[cfg(feature = "bundled")]
    let include_root = build_bundled(&manifest);
    #[cfg(not(feature = "bundled"))]
    let include_root = link_external(&manifest);
    println!("cargo:include={}", include_root.display());
    #[cfg(feature = "bindgen")]
    generate(&include_root);
}

/// Compile lib/*/*.c into a static library with the Makefile's flags.
#[cfg(feature = "bundled")]
fn build_bundled(manifest: &Path) -> PathBuf {
    let csrc = manifest.join("csrc");
    let include = csrc.join("include");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(csrc.join("lib"))
        .expect("csrc/lib: the C sources (symlinked in the repository, files in a package)")
        .flat_map(|part| std::fs::read_dir(part.expect("csrc/lib entry").path()).into_iter().flatten())
        .map(|f| f.expect("csrc/lib file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    assert!(!sources.is_empty(), "no C sources in {}", csrc.display());
    for f in &sources {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    cc::Build::new()
        .files(&sources)
        .include(&include)
        .std("c11")
        .define("_GNU_SOURCE", None)
        .define("INDEXBUS_BUILDING", None)
        .flag("-fvisibility=hidden")
        .warnings(false)
        .compile("indexbus");
    println!("cargo:rustc-link-lib=dylib=rt");
    println!("cargo:rustc-link-lib=dylib=pthread");
    include
}

/// A built or installed library; returns the include root.
#[cfg(not(feature = "bundled"))]
fn link_external(manifest: &Path) -> PathBuf {
    // bindings/rust/indexbus-sys -> repository root, but only inside the
    // repository: a packaged copy (crates.io, vendored) must never pick up
    // whatever `build/` or `abi/` happens to sit three directories up.
    let repo = manifest.join("../../..");
    let in_tree = same_file(
        &repo.join("bindings/rust/indexbus-sys/build.rs"),
        &manifest.join("build.rs"),
    );
    let want_dylib = env::var("INDEXBUS_LINK")
        .map(|v| v == "dylib")
        .unwrap_or(false);

    let mut include_dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = env::var_os("INDEXBUS_INCLUDE_DIR") {
        include_dirs.push(PathBuf::from(dir));
    } else if in_tree && repo.join("abi/include/indexbus/indexbus.h").is_file() {
        include_dirs.push(repo.join("abi/include"));
    }

    let lib_dir = match env::var_os("INDEXBUS_LIB_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if !has_lib(&dir) {
                panic!(
                    "INDEXBUS_LIB_DIR={} holds no libindexbus.a or libindexbus.so; \
                     build it with `make lib B=<dir>` from the repository root",
                    dir.display()
                );
            }
            Some(dir)
        }
        None => {
            let dir = repo.join("build");
            if in_tree && has_lib(&dir) {
                Some(dir)
            } else {
                None
            }
        }
    };

    match lib_dir {
        Some(dir) => link_from_dir(&dir, want_dylib),
        None => {
            // Installed copy: `make install` puts indexbus.pc and both libraries in LIBDIR.
            let lib = pkg_config::Config::new()
                .statik(!want_dylib)
                .cargo_metadata(true)
                .probe("indexbus")
                .unwrap_or_else(|e| {
                    panic!(
                        "libindexbus not found: enable the `bundled` feature, or install \
                         IndexBus so that pkg-config finds indexbus.pc, or set \
                         INDEXBUS_LIB_DIR to a directory holding libindexbus.a ({e})"
                    )
                });
            if include_dirs.is_empty() {
                include_dirs.extend(lib.include_paths);
            }
        }
    }

    let header = include_dirs
        .iter()
        .map(|d| d.join("indexbus/indexbus.h"))
        .find(|h| h.is_file())
        .unwrap_or_else(|| {
            panic!("indexbus/indexbus.h not found (set INDEXBUS_INCLUDE_DIR); looked in {include_dirs:?}")
        });
    header
        .parent()
        .and_then(Path::parent)
        .expect("include root")
        .to_path_buf()
}

/// The raw bindings from the header, into OUT_DIR (and $INDEXBUS_BINDINGS_OUT).
#[cfg(feature = "bindgen")]
fn generate(include_root: &Path) {
    let header = include_root.join("indexbus/indexbus.h");
    // Generate code for the workspace's declared minimum Rust (rust-version),
    // not for the newest Rust bindgen knows.
    let msrv = env::var("CARGO_PKG_RUST_VERSION").expect("rust-version is set in Cargo.toml");
    let rust_target: bindgen::RustTarget = msrv
        .parse()
        .unwrap_or_else(|e| panic!("rust-version {msrv}: {e}"));

    let bindings = bindgen::Builder::default()
        .rust_target(rust_target)
        .header(header.to_string_lossy())
        .clang_arg(format!("-I{}", include_root.display()))
        .allowlist_function("indexbus_.*")
        .allowlist_type("indexbus_.*")
        .allowlist_var("INDEXBUS_.*")
        // C enums become plain integer constants: a value the C side returns
        // that this crate does not know is just a number, never UB.
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .layout_tests(true)
        .generate_comments(true)
        .parse_callbacks(Box::new(MacroTypes))
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen failed on indexbus.h");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("bindings.rs");
    bindings.write_to_file(&out).expect("write bindings.rs");
    if let Some(copy) = env::var_os("INDEXBUS_BINDINGS_OUT") {
        std::fs::copy(&out, copy).expect("copy bindings.rs to INDEXBUS_BINDINGS_OUT");
    }
}

/// Capability bits are `uint64_t` in C (`header.capabilities`); left alone,
/// bindgen would type `INDEXBUS_CAP_INCOMPAT_MASK` (0xffffffff00000000ull)
/// as a negative `i64` and the low bits as `u32`.
#[cfg(feature = "bindgen")]
#[derive(Debug)]
struct MacroTypes;

#[cfg(feature = "bindgen")]
impl bindgen::callbacks::ParseCallbacks for MacroTypes {
    fn int_macro(&self, name: &str, _value: i64) -> Option<bindgen::callbacks::IntKind> {
        name.starts_with("INDEXBUS_CAP_")
            .then_some(bindgen::callbacks::IntKind::U64)
    }
}

#[cfg(not(feature = "bundled"))]
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(not(feature = "bundled"))]
fn has_lib(dir: &Path) -> bool {
    dir.join("libindexbus.a").is_file() || dir.join("libindexbus.so").exists()
}

#[cfg(not(feature = "bundled"))]
fn link_from_dir(dir: &Path, want_dylib: bool) {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    println!("cargo:rustc-link-search=native={}", dir.display());
    let archive = dir.join("libindexbus.a");
    if archive.is_file() && !want_dylib {
        // Rebuild (and re-bundle the archive into this rlib) when `make lib` changed it.
        println!("cargo:rerun-if-changed={}", archive.display());
        println!("cargo:rustc-link-lib=static=indexbus");
        println!("cargo:rustc-link-lib=dylib=rt");
        println!("cargo:rustc-link-lib=dylib=pthread");
    } else {
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("libindexbus.so").display()
        );
        println!("cargo:rustc-link-lib=dylib=indexbus");
        println!(
            "cargo:warning=linking the shared libindexbus from {}: programs need it on the \
             loader path (LD_LIBRARY_PATH or an installed copy)",
            dir.display()
        );
    }
}
