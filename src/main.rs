//! The `aegis` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    match aegis::commands::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aegis: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
