//! Where a model may be loaded from at run time. An operator's reload names a file; only files
//! under `model.dir` are read, after symlinks are resolved, so a reload cannot read
//! `/dev/zero`, `/etc/shadow` or a link pointing out of the directory, and only files named as
//! XGBoost names its models (`.json`, `.ubj`).

use std::path::{Path, PathBuf};

use super::forest::ModelError;

fn refused(requested: &str, reason: impl Into<String>) -> ModelError {
    ModelError::Io {
        path: requested.to_owned(),
        reason: reason.into(),
    }
}

/// The file `requested` names inside `dir` (relative to it, or absolute within it).
pub fn resolve_in(dir: &Path, requested: &str) -> Result<PathBuf, ModelError> {
    let root = dir.canonicalize().map_err(|e| ModelError::Missing {
        path: requested.to_owned(),
        reason: format!("the model directory {} is unusable: {e}", dir.display()),
    })?;
    let candidate = Path::new(requested);
    let joined = if candidate.is_absolute() {
        candidate.to_path_buf()
    } else {
        root.join(candidate)
    };
    // Whatever keeps the path from resolving (absent, a NUL byte, a file used as a
    // directory), there is no such model file.
    let real = joined.canonicalize().map_err(|_| ModelError::Missing {
        path: requested.to_owned(),
        reason: format!("it is not in {}", dir.display()),
    })?;
    if !real.starts_with(&root) {
        return Err(refused(
            requested,
            format!("models are loaded only from {}", dir.display()),
        ));
    }
    let named_as_model = real.extension().is_some_and(|e| e == "json" || e == "ubj");
    if !named_as_model {
        return Err(refused(
            requested,
            "a model file's name ends in .json or .ubj",
        ));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_directory_are_allowed() {
        let base = std::env::temp_dir().join(format!("aegis-models-{}", uuid::Uuid::new_v4()));
        let dir = base.join("models");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.json"), b"{}").unwrap();
        std::fs::write(base.join("outside.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(base.join("outside.json"), dir.join("link.json")).unwrap();
        assert!(resolve_in(&dir, "m.json").is_ok());
        assert!(resolve_in(&dir, &dir.join("m.json").display().to_string()).is_ok());
        for bad in [
            "../outside.json",
            "link.json",
            "/dev/zero",
            "/etc/passwd",
            "missing.json",
        ] {
            assert!(resolve_in(&dir, bad).is_err(), "{bad} was allowed");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}
