//! Suites on disk: every file's error is reported, ids are unique, cases are sorted.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use hil_cases::{load_case_file, load_suite};

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("hil-cases-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).expect("create folder");
        fs::write(&path, text).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn case(id: &str) -> String {
    format!("id: {id}\ntitle: t\nspec: {{ quote: q, source: s }}\nsteps:\n  - delay_us: 1\n")
}

#[test]
fn cases_load_sorted_by_id_and_non_case_files_are_skipped() {
    let dir = TempDir::new("sorted");
    dir.write("time/b.yaml", &case("time.b"));
    dir.write("notifications/z.yaml", &case("notifications.z"));
    dir.write("notifications/a.yml", &case("notifications.a"));
    dir.write("README.md", "# cases\n");
    dir.write("schema/case.schema.json", "{}\n");
    dir.write("schema/not-a-case.yaml", "nonsense: [\n");
    dir.write("notifications/notes.txt", "not a case\n");
    let suite = load_suite(&dir.0).unwrap_or_else(|error| panic!("{error}"));
    let ids: Vec<&str> = suite.cases.iter().map(|case| case.id.as_str()).collect();
    assert_eq!(ids, ["notifications.a", "notifications.z", "time.b"]);
    assert_eq!(suite.cases[2].area, "time");
    assert_eq!(suite.cases[2].path, dir.0.join("time/b.yaml"));
}

#[test]
fn every_error_of_every_file_is_reported_sorted_by_file() {
    let dir = TempDir::new("errors");
    dir.write("time/c.yaml", &case("time.c"));
    dir.write("time/dup.yaml", &case("time.c"));
    dir.write(
        "notifications/b.yaml",
        &case("notifications.b").replace("delay_us: 1", "delay_us: -1"),
    );
    dir.write("notifications/a.yaml", &case("time.a"));
    dir.write("stray.yaml", &case("stray.x"));
    let error = load_suite(&dir.0).expect_err("the suite has errors");
    let summary: Vec<(PathBuf, Option<usize>, &str)> = error
        .errors
        .iter()
        .map(|error| {
            (
                error.file.strip_prefix(&dir.0).unwrap().to_owned(),
                error.line,
                error.field.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (PathBuf::from("notifications/a.yaml"), Some(1), "id"),
            (
                PathBuf::from("notifications/b.yaml"),
                Some(5),
                "steps[0].delay_us"
            ),
            (PathBuf::from("stray.yaml"), None, ""),
            (PathBuf::from("time/dup.yaml"), Some(1), "id"),
        ]
    );
    let duplicate = &error.errors[3];
    assert!(
        duplicate.message.contains("`time.c` is also used by")
            && duplicate.message.contains("c.yaml"),
        "{duplicate}"
    );
    assert!(
        error.errors[2].message.contains("area folder"),
        "{}",
        error.errors[2]
    );
    let text = error.to_string();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.lines().next().unwrap().ends_with("notifications/a.yaml:1:1: id: id `time.a` starts with `time`, but the file is in folder `notifications`; the id must be `notifications.<name>`, with the folder name `notifications` first"), "{text}");
}

#[test]
fn a_missing_suite_folder_is_an_error() {
    let error = load_suite(Path::new("/nonexistent/conformance")).expect_err("no folder");
    assert_eq!(error.errors.len(), 1);
    assert!(error.errors[0]
        .message
        .contains("cannot read the suite folder"));
}

#[test]
fn a_case_file_takes_its_area_from_its_folder() {
    let dir = TempDir::new("area");
    let path = dir.write("power/restart.yaml", &case("power.restart"));
    let case = load_case_file(&path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        (case.area.as_str(), case.id.as_str()),
        ("power", "power.restart")
    );
    let error = load_case_file(&dir.0.join("power/missing.yaml")).expect_err("no file");
    assert!(error.message.contains("cannot read the file"), "{error}");
    assert_eq!(error.line, None);
}

#[cfg(unix)]
#[test]
fn a_folder_name_that_is_not_utf8_is_named_in_the_error() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = TempDir::new("non-utf8");
    let folder = dir.0.join(std::ffi::OsStr::from_bytes(b"not\xffutf8"));
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("a.yaml"), case("notutf8.a")).unwrap();
    let errors = load_suite(&dir.0).unwrap_err().errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = errors[0].to_string();
    assert!(
        text.contains("the folder name `not\u{fffd}utf8` is not valid UTF-8"),
        "{text}"
    );
}

#[test]
fn files_that_look_like_cases_but_cannot_be_read_are_errors_not_skipped() {
    let dir = TempDir::new("unreadable");
    dir.write("time/good.yaml", &case("time.good"));
    dir.write("time/upper.YAML", &case("time.upper"));
    dir.write("time/nested/inner.yaml", &case("time.inner"));
    dir.write("time/notes.txt", "not a case\n");
    std::os::unix::fs::symlink(
        dir.0.join("time/gone.yaml"),
        dir.0.join("time/dangling.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.0.join("time/loop-b.yaml"),
        dir.0.join("time/loop-a.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.0.join("time/loop-a.yaml"),
        dir.0.join("time/loop-b.yaml"),
    )
    .unwrap();
    let errors = load_suite(&dir.0)
        .expect_err("four unreadable entries")
        .errors;
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let find = |name: &str, says: &str| {
        assert!(
            text.iter().any(|e| e.contains(name) && e.contains(says)),
            "no error about {name} saying {says:?}: {text:#?}"
        )
    };
    find("time/dangling.yaml", "cannot follow this symlink");
    find("time/loop-a.yaml", "cannot follow this symlink");
    find("time/loop-b.yaml", "cannot follow this symlink");
    find("time/nested", "a folder inside an area is not read");
    find("time/upper.YAML", "the extension `.YAML` is not read");
    assert_eq!(text.len(), 5, "{text:#?}");
}

#[test]
fn a_skip_names_the_images_a_rig_runs_and_anything_else_is_an_error_with_its_line() {
    let dir = TempDir::new("skip-rig");
    let text = "id: time.a\ntitle: t\nspec: { quote: q, source: s }\nskip:\n  an505: slow there\n  qemu-an505: a rig, not images\nsteps:\n  - delay_us: 1\n";
    dir.write("time/a.yaml", text);
    let error = load_suite(&dir.0).unwrap_err().to_string();
    assert!(error.contains("time/a.yaml:6:"), "{error}");
    assert!(
        error.contains("skip.qemu-an505: no rig runs `qemu-an505`: a skip names the images a rig runs (sim, an505, stm32u585)"),
        "{error}"
    );
    dir.write(
        "time/a.yaml",
        &text.replace("  qemu-an505: a rig, not images\n", ""),
    );
    let suite = load_suite(&dir.0).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(suite.cases[0].skip["an505"], "slow there");
}
