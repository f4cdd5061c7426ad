//! The `bino` binary itself: settings from the environment, serving, shutting down.

use std::process::{Command, Stdio};

use crate::support::redis::free_port;
use crate::support::serve::{Running, bino, order_a_japanese_esim, wait_until_healthy};

#[test]
fn missing_settings_are_all_named_in_one_message_at_startup() {
    let output = bino(
        &["serve"],
        &[
            ("BINO_SUPPLIER", "esimaccess"),
            ("BINO_MARGIN_PERCENT", "-5"),
        ],
    )
    .output()
    .expect("bino runs");

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "BINO_ESIMACCESS_ACCESS_CODE",
        "BINO_ESIMACCESS_SECRET_KEY",
        "BINO_API_KEYS",
        "BINO_SUPPLIER_WEBHOOK_TOKEN",
        "BINO_MARGIN_PERCENT",
    ] {
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
}

#[tokio::test]
async fn serve_with_no_settings_sells_an_esim_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = bino(&["serve"], &[("BINO_LISTEN", &listen)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bino starts");
    let mut running = Running(child);
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;

    let allocated = order_a_japanese_esim(&client, &base, "sandbox", "binary-1").await;
    assert!(
        allocated["profiles"][0]["activationCode"]
            .as_str()
            .unwrap()
            .starts_with("LPA:1$")
    );

    let pid = running.0.id().to_string();
    let signalled = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let status = tokio::task::spawn_blocking(move || running.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "bino exited with {status} after SIGTERM");
}

#[test]
fn chat_with_no_settings_goes_from_hi_to_a_qr_code_in_four_messages() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let script = directory.path().join("script.txt");
    // Greeting, destination, the first plan of the list, then Buy (the first button).
    std::fs::write(&script, "hi\nJapan, 10 days\n1\n1\n").unwrap();
    let qr_dir = directory.path().join("qr");

    let output = bino(
        &[
            "chat",
            "--script",
            script.to_str().unwrap(),
            "--qr-dir",
            qr_dir.to_str().unwrap(),
        ],
        &[("BINO_SANDBOX_ALLOCATION_DELAY_MS", "200")],
    )
    .output()
    .expect("bino runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("you> ").count(), 4, "{stdout}");
    for expected in [
        "Where are you going",
        "1. Japan",
        "[1] Buy",
        "preparing your eSIM",
        "█",
        "esimsetup.apple.com",
        "LPA:1$",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
    let saved: Vec<_> = std::fs::read_dir(&qr_dir).unwrap().flatten().collect();
    assert_eq!(saved.len(), 1, "one QR code image saved");
    let png = std::fs::read(saved[0].path()).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}
