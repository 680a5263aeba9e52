//! What analysis reads from the target database outside salsa (user functions, source
//! columns): read once per process for each project and connection, written to a cache
//! file under `target/`, and taken from that file when the database cannot be reached.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::project::profiles::Target;

type Slot<T> = Arc<OnceLock<Option<Arc<T>>>>;
/// (project root, target name and connection settings) -> that read.
type Slots<T> = Mutex<HashMap<(PathBuf, String), Slot<T>>>;

/// One kind of database read, memoized per (project root, target and its settings).
pub struct ReadOnce<T>(OnceLock<Slots<T>>);

impl<T> Default for ReadOnce<T> {
    fn default() -> ReadOnce<T> {
        ReadOnce::new()
    }
}

impl<T> ReadOnce<T> {
    pub const fn new() -> ReadOnce<T> {
        ReadOnce(OnceLock::new())
    }

    /// The parsed text `live` reads from the database (saved to `cache`), or the cache's
    /// text when `live` fails; None when neither is there.
    pub fn get(
        &self,
        root: &Path,
        target: &Target,
        cache: &Path,
        live: impl FnOnce() -> Result<String, String>,
        parse: impl FnOnce(&str) -> T,
    ) -> Option<Arc<T>> {
        // The connection settings are part of the key (two databases, one project).
        let settings = serde_json::Value::Object(target.fields.clone()).to_string();
        let slot = {
            let mut map = self
                .0
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.entry((root.to_path_buf(), format!("{}\n{settings}", target.name)))
                .or_default()
                .clone()
        };
        slot.get_or_init(|| {
            let text = match live() {
                Ok(text) => {
                    if let Some(dir) = cache.parent()
                        && std::fs::create_dir_all(dir).is_ok()
                    {
                        let _ = std::fs::write(cache, &text);
                    }
                    text
                }
                Err(_) => std::fs::read_to_string(cache).ok()?,
            };
            Some(Arc::new(parse(&text)))
        })
        .clone()
    }
}
