//! The example lab workflow (`rigs/ci/github-actions-lab.yml`) parses, and its matrix agrees with the rigs and with `hil`'s flags.

use std::path::Path;

#[test]
fn the_example_lab_workflow_shards_by_rig_label_then_merges_and_gates() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(repo.join("rigs/ci/github-actions-lab.yml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("the workflow is YAML");
    let shard = &yaml["jobs"]["shard"];
    let rigs: Vec<&str> = shard["strategy"]["matrix"]["rig"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for rig in &rigs {
        assert!(
            repo.join(format!("rigs/{rig}.yaml")).exists(),
            "the matrix names rig {rig}, which has no rig file"
        );
    }
    let shards = shard["strategy"]["matrix"]["shard"].as_sequence().unwrap();
    let run = shard["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str())
        .unwrap();
    assert!(
        run.contains(&format!(
            "--partition hash:${{{{ matrix.shard }}}}/{}",
            shards.len()
        )),
        "every shard of the matrix is one partition of {}: {run}",
        shards.len()
    );
    assert!(run.contains("--rig ${{ matrix.rig }}"), "{run}");
    let labels = shard["runs-on"].as_sequence().unwrap();
    assert!(labels
        .iter()
        .any(|l| l.as_str() == Some("hil-${{ matrix.rig }}")));
    let gate = &yaml["jobs"]["gate"];
    assert_eq!(gate["needs"].as_str(), Some("shard"));
    let merge = gate["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains(" merge "))
        .expect("the gate job merges");
    assert!(merge.contains("hil -- merge shards/*"), "{merge}");
}
