//! The `aegis` binary: parses the command line and hands over to the library.

/// mimalloc instead of glibc's allocator: with many threads handing small buffers to each other,
/// glibc spent a quarter of the service's CPU in malloc and free (measured with perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    aegis::tls::install_provider();
    match aegis::commands::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aegis: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
