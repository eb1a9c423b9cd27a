//! `hil schema`: print the JSON Schema of case files or of `results.json`.

use anyhow::Result;
use hil_report::ExitCode;

use crate::failure::BadInput;

pub fn schema(which: &str) -> Result<ExitCode> {
    match which {
        "case" => println!("{}", hil_cases::json_schema()),
        "results" => println!("{}", hil_report::results_json_schema()),
        other => {
            return Err(
                BadInput::one(format!("unknown schema `{other}`: use `case` or `results`")).into(),
            )
        }
    }
    Ok(ExitCode::Passed)
}
