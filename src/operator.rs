//! Who is at the keyboard: `--operator`, else `$CONTROL_TOWER_OPERATOR`,
//! else the OS user name.

use std::ffi::CStr;

/// The OS user name of this process, or `uid-N` when it has none.
pub fn os_user_name() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.trim().is_empty()
        {
            return name;
        }
    }
    // SAFETY: getuid cannot fail; getpwuid returns a pointer to static
    // storage or null, and we copy the name out before any other call.
    unsafe {
        let uid = libc::getuid();
        let entry = libc::getpwuid(uid);
        if !entry.is_null()
            && !(*entry).pw_name.is_null()
            && let Ok(name) = CStr::from_ptr((*entry).pw_name).to_str()
        {
            return name.to_string();
        }
        format!("uid-{uid}")
    }
}
