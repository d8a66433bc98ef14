//! The search language (issue 10, "Search, one language everywhere"): the
//! table of known answers in `support::search_cases` through the real
//! binary (`list --where`, with `--json`, `--state` and `--as-of`) and
//! through the library function; malformed queries exit 2 naming the
//! problem and print nothing; properties of negation and AND.

use std::collections::BTreeSet;

use control_tower::domain::Timestamp;
use control_tower::read::index::LogIndex;
use control_tower::read::query::{self, SearchIndex};
use proptest::prelude::*;

use crate::support::*;

fn search_env() -> Env {
    let env = Env::new();
    write_search_log(&env.dir);
    env
}

/// The IDs `list` printed (first column of its table rows).
fn listed(run: &Run) -> BTreeSet<String> {
    run.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| is_shipment_id(w))
        .map(str::to_string)
        .collect()
}

fn expected(numbers: &[u64]) -> BTreeSet<String> {
    search_ids(numbers).into_iter().collect()
}

#[test]
fn list_where_finds_exactly_the_known_answers() {
    let env = search_env();
    let as_of = format!("event:{SEARCH_EVENTS}");
    for (q, numbers) in SEARCH_CASES {
        let run = env.run(&["list", "--where", q, "--as-of", &as_of]).ok();
        assert_eq!(listed(&run), expected(numbers), "list --where {q:?}");
    }
}

/// The shipments of the rows `export` wrote (first column, after the header).
fn exported(run: &Run) -> BTreeSet<String> {
    run.stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn export_where_writes_the_timelines_of_exactly_the_known_answers() {
    let env = search_env();
    let as_of = format!("event:{SEARCH_EVENTS}");
    for (q, numbers) in SEARCH_CASES {
        let run = env.run(&["export", "--where", q, "--as-of", &as_of]).ok();
        assert_eq!(exported(&run), expected(numbers), "export --where {q:?}");
    }
    // Whole timelines: every event of a matching shipment, not only the
    // events that matched.
    let run = env.run(&["export", "--where", "vehicle:trk-59"]).ok();
    let rows = run.stdout.lines().skip(1).count();
    let events = env
        .events()
        .iter()
        .filter(|e| expected(&[1, 5]).contains(e["shipment_id"].as_str().unwrap()))
        .count();
    assert_eq!(rows, events);
}

#[test]
fn library_finds_exactly_the_known_answers() {
    let env = search_env();
    let index = LogIndex::load(&env.paths()).unwrap();
    let now = Timestamp::parse(SEARCH_NOW).unwrap();
    for (q, numbers) in SEARCH_CASES {
        let found: BTreeSet<String> = query::matching(&index, q, now)
            .unwrap()
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        assert_eq!(found, expected(numbers), "matching {q:?}");
    }
}

#[test]
fn where_combines_with_state_json_and_as_of() {
    let env = search_env();
    let run = env
        .run(&["list", "--where", "mumbai", "--state", "IN_TRANSIT"])
        .ok();
    assert_eq!(listed(&run), expected(&[3]));
    let json = env
        .run(&["list", "--where", "trk-59", "--json"])
        .ok()
        .json();
    let ids: BTreeSet<String> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["shipment_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected(&[1, 5]));
    // As of event 19 shipment 5 has no vehicle yet; the moment is said first.
    let run = env
        .run(&["list", "--where", "vehicle:trk", "--as-of", "event:19"])
        .ok();
    assert_eq!(listed(&run), expected(&[1, 3]));
    assert!(
        run.stdout.starts_with("as of event 19 of 22"),
        "{}",
        run.stdout
    );
}

#[test]
fn malformed_queries_exit_2_naming_the_problem_and_print_nothing() {
    let env = search_env();
    for (q, says) in SEARCH_ERRORS {
        for extra in [&[][..], &["--json"][..], &["--as-of", "event:3"][..]] {
            for command in ["list", "export"] {
                let mut args = vec![command, "--where", q];
                args.extend_from_slice(extra);
                if command == "export" && extra == ["--json"] {
                    args.pop(); // export has --format instead
                }
                let run = env.run(&args).usage();
                assert!(run.stderr.contains(says), "{q:?}: {}", run.stderr);
                assert!(run.stderr.contains("column"), "{q:?}: {}", run.stderr);
                assert!(run.stdout.is_empty(), "{q:?} printed {:?}", run.stdout);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `-q` finds exactly what `q` does not; `a b` is `a` ∩ `b`.
    #[test]
    fn negation_complements_and_and_intersects(
        a in prop::sample::select(SEARCH_CASES.iter().map(|c| c.0).filter(|q| !q.is_empty() && !q.contains(' ')).collect::<Vec<_>>()),
        b in prop::sample::select(SEARCH_CASES.iter().map(|c| c.0).filter(|q| !q.is_empty()).collect::<Vec<_>>()),
    ) {
        let env = search_env();
        let index = LogIndex::load(&env.paths()).unwrap();
        let search = SearchIndex::build(&index).unwrap();
        let now = Timestamp::parse(SEARCH_NOW).unwrap();
        let find = |q: &str| query::matching_in(&index, &search, &query::prepare(q, &search).unwrap(), now);
        let all = find("");
        let not_a = find(&format!("-{a}"));
        let a_set = find(a);
        prop_assert_eq!(not_a, all.difference(&a_set).copied().collect::<BTreeSet<_>>());
        let both = find(&format!("{a} {b}"));
        prop_assert_eq!(both, a_set.intersection(&find(b)).copied().collect::<BTreeSet<_>>());
    }
}
