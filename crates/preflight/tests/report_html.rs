//! The HTML report of a small version of the demo dataset, checked for
//! its structure: sections in order, the charts expected, nothing fetched
//! from elsewhere, text from the data escaped, a bounded size.

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::report::html::{render, SECTIONS};
use preflight::synth::generate;

mod common;

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn report_has_every_section_in_order_and_the_charts_it_should() {
    let dir = tempfile::tempdir().unwrap();
    generate(&common::small_demo(6, 3, &["P7", "O1"], 5), dir.path()).unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let mut report = audit(&dataset, &AuditConfig::default(), &|_, _| {});
    assert_eq!(report.findings.len(), 2, "{:#?}", report.findings);
    // A hostile name must come out escaped.
    report.dataset.root = "<script>alert(1)</script>".to_string();
    let page = render(&report);

    // A channel with many flagged samples but no finding comes after the
    // channels with findings.
    let mut busy = report.clone();
    let fz = busy
        .figures
        .histograms
        .iter_mut()
        .find(|h| h.channel == "Fz")
        .unwrap();
    fz.flagged = fz.clean.clone();
    let busy_page = render(&busy);
    let titles: Vec<&str> = busy_page
        .split("<title id=\"chart-hist-")
        .skip(1)
        .map(|t| &t[t.find('>').unwrap() + 1..t.find("</title>").unwrap()])
        .collect();
    assert_eq!(&titles[..3], ["O1", "P7", "Fz"], "{titles:?}");

    // Sections, in the order of the issue.
    let mut at = 0;
    for id in SECTIONS {
        let tag = format!("<section id=\"{id}\">");
        let found = page[at..].find(&tag);
        assert!(found.is_some(), "section {id} missing or out of order");
        at += found.unwrap_or(0);
    }
    assert_eq!(count(&page, "<section"), SECTIONS.len());

    // One chart for balance and the map; one histogram per flagged channel
    // plus four clean ones; one spectrum per flagged channel and harmonic
    // below Nyquist (60 and 120 Hz at 256 Hz).
    let in_section = |id: &str| {
        let start = page.find(&format!("<section id=\"{id}\">")).unwrap();
        let end = start + page[start..].find("</section>").unwrap();
        &page[start..end]
    };
    assert_eq!(count(in_section("balance"), "<svg"), 1);
    assert_eq!(count(in_section("outliers"), "<svg"), 1);
    assert_eq!(count(in_section("histograms"), "<svg"), 2 + 4);
    assert_eq!(count(in_section("spectra"), "<svg"), 2 * 2);
    assert_eq!(count(in_section("findings"), "class=\"card\""), 2);
    assert_eq!(
        count(in_section("normalization"), "<tr>")
            + count(in_section("normalization"), "<tr class"),
        1 + 32
    );
    assert!(in_section("balance").contains("majority baseline 92."));

    // Every chart has a title, a description and drawn marks.
    let charts: Vec<&str> = page.split("<svg").skip(1).collect();
    assert_eq!(charts.len(), 12);
    for chart in &charts {
        let svg = &chart[..chart.find("</svg>").unwrap()];
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title") && svg.contains("<desc"));
        assert!(
            svg.contains("class=\"series\"") || svg.contains("class=\"mark\""),
            "a chart without marks: {}",
            &svg[..svg.len().min(300)]
        );
        for bad in ["\"NaN", ",NaN", "MNaN", "LNaN", "\"inf", ",inf"] {
            assert!(
                !svg.contains(bad),
                "{bad}: a coordinate that is not a number"
            );
        }
    }
    // The histograms show flagged samples of the detached contacts.
    assert!(in_section("histograms").contains("flagged samples"));

    // Self-contained, escaped, small.
    for bad in ["http://", "https://", "<script", "<link", "src="] {
        assert!(!page.contains(bad), "{bad} in the page");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
}
