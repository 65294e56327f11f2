//! The main job prints every exchange of the page with the service's statuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../examples/walkthrough.rs"]
#[allow(dead_code)]
mod walkthrough;

#[test]
fn the_walkthrough_plays_every_scenario_with_its_status() {
    let lines = walkthrough::run();
    let exchanges: Vec<&str> = lines.iter().map(String::as_str).filter(|l| l.contains(" -> ")).collect();
    let expected = [
        ("POST /certificates/mycert1/create?", "202"),
        ("GET /certificates/mycert1/pending?api-version=7.5&request_id=a76827a18b63421c917da80f28e9913d", "200"),
        ("GET /certificates/mycert1/pending?api-version=7.5&request_id=", "404"),
        ("POST /certificates/mycert1/create?", "409"),
        ("POST /certificates/mycert1/pending/merge?", "403"),
        ("PATCH /certificates/mycert1/pending?", "200"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("PATCH /certificates/mycert1/pending?", "400"),
        ("DELETE /certificates/mycert1/pending?", "200"),
        ("GET /certificates/mycert1/pending?", "404"),
        ("POST /certificates/mycert1/create?", "202"),
        ("GET /certificates/mycert1?", "200"),
        ("GET /certificates/mycert1/", "200"),
        ("PATCH /certificates/mycert1/pending?", "200"),
        ("POST /certificates/mycert1/pending/merge?", "201"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("POST /certificates/mycert1/create?", "202"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("POST /certificates/mycert1/pending/merge?", "201"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("POST /certificates/mycert1/create?", "202"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("GET /certificates/mycert1/pending?", "200"),
        ("GET /certificates/mycert1/", "200"),
    ];
    assert_eq!(exchanges.len(), expected.len(), "{exchanges:#?}");
    for (line, (start, status)) in exchanges.iter().zip(expected) {
        assert!(line.starts_with(start) && line.ends_with(&format!("-> {status}")), "{line} vs {start} -> {status}");
    }
    // Every exchange is followed by its JSON body.
    for (i, line) in lines.iter().enumerate() {
        if line.contains(" -> ") {
            let body: serde_json::Value = serde_json::from_str(&lines[i + 1]).unwrap();
            assert!(body.is_object());
        }
    }
    let body_after = |needle: &str| -> serde_json::Value {
        let i = lines.iter().position(|l| l.starts_with(needle)).unwrap();
        serde_json::from_str(&lines[i + 1]).unwrap()
    };
    assert_eq!(body_after("PATCH")["cancellation_requested"], true);
    assert_eq!(body_after("PATCH")["status"], "inProgress");
    let bodies: Vec<serde_json::Value> =
        lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(bodies.iter().any(|b| b["status"] == "cancelled"));
    assert!(bodies.iter().any(
        |b| b["status"] == "completed" && b["target"] == "https://mykeyvault.vault.azure.net/certificates/mycert1"
    ));
    assert!(bodies.iter().any(|b| b["status"] == "failed" && b["error"]["code"] == "Certificate issuer error"));
    assert!(bodies.iter().any(|b| b["cer"].is_string() && b["x5t"].is_string()));
}
