//! `Name`: a place, delivery type or operator as the projection keeps it.
//! A tower has hundreds of places and operators, not millions, and a
//! summary is kept per shipment: so each distinct text is kept once for
//! the whole process and a `Name` is one thin pointer to it (8 bytes,
//! `Copy`). Texts are never freed: what is kept is bounded by the distinct
//! texts of the logs this process read, and reading a log again adds
//! nothing.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

/// One kept text. A reference to it is a thin pointer, unlike `&str`.
#[derive(Debug)]
pub struct Kept(Box<str>);

/// A shared, interned text (see the module docs).
#[derive(Clone, Copy)]
pub struct Name(&'static Kept);

/// Texts are short and the table is private to the process, so a fast
/// hasher will do (every CREATED line of every load looks up three names).
type Table = HashMap<&'static str, &'static Kept, foldhash::fast::RandomState>;

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(Table::default()))
}

/// Names this thread looked up lately, by a hash of their text: a worker
/// reading a log meets the same few hundred places again and again, and
/// this spares it the shared table's lock.
const RECENT: usize = 512;

thread_local! {
    static RECENT_NAMES: std::cell::RefCell<Vec<Option<Name>>> =
        std::cell::RefCell::new(vec![None; RECENT]);
}

impl Name {
    /// The one `Name` of `text`.
    pub fn of(text: &str) -> Name {
        use std::hash::BuildHasher;
        static SEED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);
        let slot = (SEED.hash_one(text) as usize) % RECENT;
        let recent = RECENT_NAMES.try_with(|names| names.borrow().get(slot).copied().flatten());
        if let Ok(Some(name)) = recent
            && name.as_str() == text
        {
            return name;
        }
        let name = Self::from_table(text);
        let _ = RECENT_NAMES.try_with(|names| {
            if let Some(entry) = names.borrow_mut().get_mut(slot) {
                *entry = Some(name);
            }
        });
        name
    }

    fn from_table(text: &str) -> Name {
        // A poisoned table still holds only whole entries.
        let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&kept) = table.get(text) {
            return Name(kept);
        }
        let kept: &'static Kept = Box::leak(Box::new(Kept(text.into())));
        table.insert(&kept.0, kept);
        Name(kept)
    }

    pub fn as_str(&self) -> &'static str {
        &self.0.0
    }
}

impl Default for Name {
    /// The empty text, looked up once: every new summary starts with it.
    fn default() -> Self {
        static EMPTY: OnceLock<Name> = OnceLock::new();
        *EMPTY.get_or_init(|| Name::of(""))
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name::of(text)
    }
}

/// Two names are equal when their texts are: one `Kept` per text.
impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_is_kept_once_and_names_compare_by_text() {
        let a = Name::of("Mumbai, Maharashtra");
        let b = Name::of(&String::from("Mumbai, Maharashtra"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, b);
        assert_ne!(a, Name::of("Delhi, Delhi"));
        assert_eq!(&*a, "Mumbai, Maharashtra");
        assert_eq!(Name::default(), Name::of(""));
        assert_eq!(std::mem::size_of::<Option<Name>>(), 8);
    }

    /// The thread's recent names never stand in for another text, even
    /// when many texts share a slot.
    #[test]
    fn recent_names_answer_only_for_their_own_text() {
        let texts: Vec<String> = (0..5 * RECENT).map(|i| format!("place {i}")).collect();
        for round in 0..2 {
            for text in &texts {
                assert_eq!(Name::of(text).as_str(), text, "round {round}");
            }
        }
        let elsewhere = std::thread::spawn(|| Name::of("place 7")).join().unwrap();
        assert!(std::ptr::eq(
            elsewhere.as_str(),
            Name::of("place 7").as_str()
        ));
    }
}
