//! Lets an installed `aegis` find the XGBoost library shipped beside it (`make dist` puts
//! `libxgboost.so.3` next to the binary, or in `../lib`), so it runs outside `cargo` with no
//! `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib");
    println!("cargo:rerun-if-changed=build.rs");
}
