//! Generates the raw bindings from the public C header with bindgen and
//! tells cargo how to link libindexbus.
//!
//! Where things come from (first match wins):
//!
//! * Header: `$INDEXBUS_INCLUDE_DIR`, else the in-tree `abi/include`
//!   (three levels up from this crate), else the include dirs pkg-config
//!   reports for `indexbus`.
//! * Library: `$INDEXBUS_LIB_DIR` (set by `bindings/rust/rust.mk` to the
//!   make build dir), else the in-tree default `../../build` relative to the
//!   workspace, else pkg-config (`indexbus.pc`, installed by `make install`).
//!
//! Linking: the static `libindexbus.a` is preferred (plus `rt` and
//! `pthread`), so test binaries and programs need no rpath and can never
//! pick up a different `libindexbus.so` at run time. If a lib dir only has
//! the shared library it is linked dynamically and the loader must find it
//! (LD_LIBRARY_PATH or an installed copy); `INDEXBUS_LINK=dylib` forces that.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    for var in ["INDEXBUS_LIB_DIR", "INDEXBUS_INCLUDE_DIR", "INDEXBUS_LINK"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    // bindings/rust/indexbus-sys -> repository root
    let repo = manifest.join("../../..");
    let want_dylib = env::var("INDEXBUS_LINK")
        .map(|v| v == "dylib")
        .unwrap_or(false);

    let mut include_dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = env::var_os("INDEXBUS_INCLUDE_DIR") {
        include_dirs.push(PathBuf::from(dir));
    } else if repo.join("abi/include/indexbus/indexbus.h").is_file() {
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
            if has_lib(&dir) {
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
                        "libindexbus not found: set INDEXBUS_LIB_DIR to a directory holding \
                         libindexbus.a (run `make lib` in the repository root), or install \
                         IndexBus so that pkg-config finds indexbus.pc ({e})"
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
    let include_root = header
        .parent()
        .and_then(Path::parent)
        .expect("include root");
    println!("cargo:include={}", include_root.display());

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
}

/// Capability bits are `uint64_t` in C (`header.capabilities`); left alone,
/// bindgen would type `INDEXBUS_CAP_INCOMPAT_MASK` (0xffffffff00000000ull)
/// as a negative `i64` and the low bits as `u32`.
#[derive(Debug)]
struct MacroTypes;

impl bindgen::callbacks::ParseCallbacks for MacroTypes {
    fn int_macro(&self, name: &str, _value: i64) -> Option<bindgen::callbacks::IntKind> {
        name.starts_with("INDEXBUS_CAP_")
            .then_some(bindgen::callbacks::IntKind::U64)
    }
}

fn has_lib(dir: &Path) -> bool {
    dir.join("libindexbus.a").is_file() || dir.join("libindexbus.so").exists()
}

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
