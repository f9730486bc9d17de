//! `Carbonext::from_profile` and `from_env` with `CARBONEXT_PROFILE`, against a sandbox on
//! 127.0.0.1, reading the files `carbonext login` writes (feature `profiles`).

use std::os::unix::fs::PermissionsExt;

use carbonext_domain::{Carbonext, Currency, VcuMarket};
use carbonext_sandbox::Sandbox;

fn write_profile(dir: &std::path::Path, sandbox: &Sandbox, secret: &str, mode: u32) {
    let folder = dir.join("carbonext");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("config.toml"),
        format!(
            "[profiles.local]\napi-url = \"{}\"\nauth-url = \"{}\"\nclient-id = \"{}\"\n",
            sandbox.api_url(),
            sandbox.token_url(),
            sandbox.client_id()
        ),
    )
    .unwrap();
    let credentials = folder.join("credentials.toml");
    std::fs::write(
        &credentials,
        format!("[local]\nclient-secret = \"{secret}\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(mode)).unwrap();
}

// One test: it sets the process's variables.
#[tokio::test]
async fn from_profile_and_carbonext_profile_reach_the_saved_hosts() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    for var in ["CARBONEXT_ENV", "CARBONEXT_API_URL", "CARBONEXT_AUTH_URL"] {
        std::env::remove_var(var);
    }
    std::env::set_var("XDG_CONFIG_HOME", config.path());
    write_profile(config.path(), &sandbox, &sandbox.client_secret(), 0o600);

    let carbonext = Carbonext::from_profile("local").expect("the profile is read");
    let quote = carbonext
        .quote("1".parse().unwrap(), Currency::Brl)
        .await
        .expect("a quote from the profile's host");
    assert_eq!(quote.vcu_amount, "1".parse().unwrap());

    std::env::set_var("CARBONEXT_PROFILE", "local");
    let from_env = Carbonext::from_env().expect("CARBONEXT_PROFILE is honoured");
    from_env
        .quote("2".parse().unwrap(), Currency::Brl)
        .await
        .expect("a quote through CARBONEXT_PROFILE");

    std::env::set_var("CARBONEXT_ENV", "production");
    let mixed = Carbonext::from_env().expect_err("a profile and another target");
    assert!(mixed.to_string().contains("own hosts"), "{mixed}");
    std::env::remove_var("CARBONEXT_ENV");

    let missing = Carbonext::from_profile("nope").expect_err("no such profile");
    assert!(
        missing
            .to_string()
            .contains("carbonext login --profile nope"),
        "{missing}"
    );

    write_profile(config.path(), &sandbox, &sandbox.client_secret(), 0o644);
    let exposed = Carbonext::from_profile("local").expect_err("a readable secret file");
    let message = exposed.to_string();
    assert!(message.contains("chmod 600"), "{message}");
    assert!(!message.contains(&sandbox.client_secret()), "{message}");
}
