//! The committed `reports/schema/results.schema.json` must match the code.

use std::fs;
use std::path::PathBuf;

use hil_report::results_json_schema;

const UPDATE_VAR: &str = "HIL_UPDATE_SCHEMA";

#[test]
fn committed_schema_is_up_to_date() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reports/schema/results.schema.json");
    let expected = format!("{}\n", results_json_schema());
    if std::env::var_os(UPDATE_VAR).is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &expected).unwrap();
        return;
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    // Compare as JSON values: key order depends on serde_json's
    // `preserve_order`, which cargo's feature unification may switch on.
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    assert!(
        parse(&committed).is_some() && parse(&committed) == parse(&expected),
        "{} is stale or missing: the RunReport types changed.\n\
         Regenerate it with `{UPDATE_VAR}=1 cargo test -p hil-report --test schema_file`, \
         review the diff, and bump SCHEMA_VERSION if a field was renamed, removed or changed meaning.",
        path.display()
    );
}
