//! The JSON Schema of a case file, derived from the raw serde types.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::Schema;
use serde_json::Value as Json;

use crate::raw;

/// The JSON Schema of a case file, pretty-printed (no trailing newline).
///
/// `cargo hil schema > conformance/schema/case.schema.json` writes it; a test fails
/// when the committed copy is stale.
pub fn json_schema() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(no_null as fn(&mut Schema)))
        .into_generator();
    let schema = generator.into_root_schema_for::<raw::Case>();
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// Optional keys are written out or left away, never `key: ~` (the loader rejects
/// keys without a value), so the schema does not offer `null` either.
fn no_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Json::Array(types)) = object.get_mut("type") {
        types.retain(|ty| ty != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Json::Array(choices)) = object.get_mut("anyOf") {
        choices.retain(|choice| choice.get("type").is_none_or(|ty| ty != "null"));
        if let [only] = choices.as_slice() {
            let only = only.clone();
            object.remove("anyOf");
            if let Json::Object(fields) = only {
                object.extend(fields);
            }
        }
    }
}
