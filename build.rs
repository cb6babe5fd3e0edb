//! Lets an installed `aegis` find the XGBoost library shipped beside it (`make dist` puts
//! `libxgboost.so.3` and the OpenMP runtime it needs next to the binary, or in `../lib`), so it
//! runs outside `cargo` with no `LD_LIBRARY_PATH`; and says plainly what is missing when the
//! prebuilt library is not where the build was told to find it.
//!
//! Two SQLites live in the process: the one compiled into Aegis (`libsqlite3-sys`, bundled)
//! and the system's, which GDAL reads GeoPackages with. The linker would export the bundled
//! one's symbols from the executable (GDAL refers to them), so GDAL's calls would land in a
//! library it was not built against, on connections the other one opened; `--exclude-libs`
//! keeps every archive's symbols inside the executable.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib");
    println!("cargo:rustc-link-arg=-Wl,--exclude-libs,ALL");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=XGBOOST_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_XGBOOST_SOURCE").is_some() {
        return;
    }
    // Without this the failure is the linker's "cannot find -lxgboost", far from its cause.
    let found = std::env::var_os("XGBOOST_LIB_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|dir| {
            dir.join("libxgboost.so").exists() || dir.join("libxgboost.dylib").exists()
        });
    if !found {
        println!(
            "cargo:warning=XGBOOST_LIB_DIR holds no libxgboost: build through `make` (it fetches \
             the prebuilt library), set XGBOOST_LIB_DIR to a directory holding it, or enable the \
             feature `xgboost-source`"
        );
    }
}
