//! report.html parsed with a real HTML parser (html5ever, via scraper): its structure, failures first, and that it needs nothing from a network.

mod common;

use common::{failed, full_run, passed};
use hil_report::{render_html, Attempt, Event, HtmlSection, Outcome, QuarantineMark, RunReport};
use scraper::{Html, Selector};

fn report(events: &[Event]) -> RunReport {
    let Event::RunStarted(info) = &events[0] else {
        panic!("a run starts with run_started")
    };
    let mut report = RunReport::started(info.clone());
    for e in &events[1..] {
        report.record(e);
    }
    report
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect::<String>()
}

#[test]
fn the_page_is_self_contained_and_puts_failures_first() {
    let mut events = full_run();
    let finished = events.pop().unwrap();
    let mut flaky = passed();
    flaky.case_id = "mem-flaky".into();
    flaky.flaky = true;
    flaky.attempts = vec![Attempt {
        outcome: Outcome::Error {
            message: "the device did not answer within 5000 ms".into(),
        },
        duration_ms: 5000.0,
        transcript: "> call\n".into(),
    }];
    let mut quarantined = failed();
    quarantined.rig = "qemu".into();
    quarantined.case_id = "mem-quarantined".into();
    quarantined.quarantine = Some(QuarantineMark {
        reason: "known".into(),
        link: "https://example.org/issues/1".into(),
        expires: "2027-01-31".into(),
    });
    events.push(Event::CaseFinished(flaky));
    events.push(Event::CaseFinished(quarantined));
    events.push(finished);
    let extra = HtmlSection {
        id: "gate".into(),
        title: "Release gate".into(),
        body: "<p class=\"verdict fail\">gate: FAIL: 1 regressions</p>".into(),
    };
    let html = render_html(&report(&events), &[extra]);
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);

    // Nothing is fetched: no script, no stylesheet link, no src, no url().
    assert!(select(&doc, "script, link, img, iframe, [src]").is_empty());
    assert!(!html.contains("url("), "no CSS url()");
    assert_eq!(select(&doc, "style").len(), 1);

    let title = text(&select(&doc, "title")[0]);
    assert!(title.contains("20261120T221503Z-3f2a"), "{title}");
    // Every link of the navigation has its section.
    for a in select(&doc, "nav a") {
        let target = a.value().attr("href").unwrap().trim_start_matches('#');
        assert_eq!(select(&doc, &format!("#{target}")).len(), 1, "#{target}");
    }
    // Order: summary, gate, failures, flaky, quarantined, parity, every case.
    let ids: Vec<&str> = select(&doc, "main > section")
        .iter()
        .map(|s| s.value().attr("id").unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "summary",
            "gate",
            "failures",
            "flaky",
            "quarantined",
            "parity",
            "cases"
        ]
    );
    // Summary per rig, then all.
    let rigs: Vec<String> = select(&doc, "#summary tbody tr td:first-child")
        .iter()
        .map(text)
        .collect();
    assert_eq!(rigs, ["sim", "qemu", "all"]);
    // The failure and the rig error, each with spec quote, transcript and logs.
    let cards = select(&doc, "#failures .case");
    assert_eq!(cards.len(), 2);
    let failure = text(&cards[0]);
    assert!(failure.contains("mem-unaligned"), "{failure}");
    assert!(
        failure.contains("steps[3] (line 12): expected status MV_STATUS_UNALIGNED"),
        "{failure}"
    );
    assert!(
        failure.contains("Calls with an unaligned pointer return MV_STATUS_UNALIGNED."),
        "{failure}"
    );
    assert!(
        failure.contains("[defmt:secure] read 4 bytes at 0x2000_0001 (src/main.rs:82)"),
        "{failure}"
    );
    assert!(select(&doc, "#failures .case blockquote").len() == 2);
    // The flaky case shows the try that failed; the quarantined one its entry.
    let flaky = text(&select(&doc, "#flaky .case")[0]);
    assert!(
        flaky.contains("try 1: the device did not answer within 5000 ms"),
        "{flaky}"
    );
    let q = text(&select(&doc, "#quarantined .case")[0]);
    assert!(q.contains("Quarantined until 2027-01-31: known"), "{q}");
    // Every result is listed per rig.
    assert_eq!(select(&doc, "#cases tbody tr").len(), 6);
}
