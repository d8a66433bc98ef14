//! Human output shows times in the local zone with the zone named (`TZ`,
//! `--tz ZONE`, `--utc`); `--json` stays UTC; a bad `--tz` is exit 2.

use chrono::{DateTime, Duration, Utc};

use crate::support::{Run, create, ct, run};

/// The shipment's creation time as the log has it (UTC).
fn created_at(dir: &std::path::Path, id: &str) -> DateTime<Utc> {
    let r = run(ct(dir).args(["show", id, "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let stamp = json["full_history"][0]["timestamp"].as_str().unwrap();
    assert!(stamp.ends_with('Z'), "JSON stays UTC: {stamp}");
    stamp.parse().unwrap()
}

fn human(dir: &std::path::Path, tz: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = ct(dir);
    match tz {
        Some(tz) => cmd.env("TZ", tz),
        None => cmd.env_remove("TZ"),
    };
    let r = run(cmd.args(args));
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r
}

fn ist(t: DateTime<Utc>) -> String {
    (t + Duration::minutes(330))
        .format("%Y-%m-%d %H:%M:%S%.3f IST")
        .to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

#[test]
fn show_list_and_audit_speak_the_local_zone_and_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("tower");
    let id = create(&dir);
    let at = created_at(&dir, &id);
    for args in [&["show", id.as_str()][..], &["list"], &["audit"]] {
        let out = human(&dir, Some("Asia/Kolkata"), args).stdout;
        assert!(out.contains(&ist(at)), "TZ {args:?}:\n{out}");
        // --tz wins over TZ; --utc over both.
        let mut with_tz = args.to_vec();
        with_tz.extend(["--tz", "Asia/Kolkata"]);
        let out = human(&dir, Some("UTC"), &with_tz).stdout;
        assert!(out.contains(&ist(at)), "--tz {args:?}:\n{out}");
        let mut with_utc = args.to_vec();
        with_utc.push("--utc");
        let out = human(&dir, Some("Asia/Kolkata"), &with_utc).stdout;
        assert!(out.contains(&utc(at)), "--utc {args:?}:\n{out}");
        assert!(!out.contains("IST"), "--utc {args:?}:\n{out}");
    }
}

#[test]
fn json_stays_utc_whatever_the_zone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("tower");
    let id = create(&dir);
    let at = created_at(&dir, &id);
    let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    for args in [&["show", id.as_str(), "--json"][..], &["list", "--json"]] {
        let mut args = args.to_vec();
        args.extend(["--tz", "Asia/Kolkata"]);
        let out = human(&dir, Some("Asia/Kolkata"), &args).stdout;
        assert!(out.contains(&stamp), "{args:?}:\n{out}");
        assert!(!out.contains("IST"), "{args:?}:\n{out}");
    }
}

#[test]
fn a_bad_zone_is_a_usage_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("tower");
    create(&dir);
    let r = run(ct(&dir).args(["list", "--tz", "Mars/Olympus_Mons"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("Mars/Olympus_Mons"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}
