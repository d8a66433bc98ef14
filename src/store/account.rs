//! Who is at the keyboard. The account is the passwd entry of the process's
//! real user ID, never `$USER` or `$LOGNAME` (anyone can set those). The
//! operator recorded in events is `--operator` / `$CONTROL_TOWER_OPERATOR`
//! when given, else the account; the role policy decides whether this
//! account may name someone else (see `store::policy`).

use std::ffi::CStr;

/// The account name of this process's real user ID, or `uid-N` when the
/// passwd database has no entry for it.
pub fn os_account() -> String {
    // SAFETY: getuid cannot fail. getpwuid_r writes into our own buffers;
    // `result` is either null or points at `entry`, whose strings live in
    // `buf`, and we copy the name out before both go out of scope.
    unsafe {
        let uid = libc::getuid();
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc == 0
            && !result.is_null()
            && !entry.pw_name.is_null()
            && let Ok(name) = CStr::from_ptr(entry.pw_name).to_str()
            && !name.is_empty()
        {
            return name.to_string();
        }
        format!("uid-{uid}")
    }
}
