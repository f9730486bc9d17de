//! A CLI that remembers: `carbonext login` verifies and saves a profile (secret in a 0600
//! file), `--profile` / `CARBONEXT_PROFILE` select it below the flags and variables, a
//! readable secret file is refused, and `auth status` names every setting's source. Real
//! processes, each home folder (`HOME`, `XDG_*`) a temporary one, against sandboxes on
//! 127.0.0.1.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use carbonext_sandbox::Sandbox;
use common::{assert_code, bare_in, fresh_home, stderr, stdout};

fn run_with_stdin(mut command: Command, args: &[&str], input: &str) -> Output {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("the binary ends")
}

fn config_dir(home: &Path) -> PathBuf {
    home.join("config").join("carbonext")
}

/// `carbonext --api-url … --auth-url … login --profile NAME …` with `secret` on stdin.
fn login(home: &Path, sandbox: &Sandbox, name: &str, secret: &str) -> Output {
    run_with_stdin(
        bare_in(home),
        &[
            "--api-url",
            &sandbox.api_url(),
            "--auth-url",
            &sandbox.token_url(),
            "login",
            "--profile",
            name,
            "--client-id",
            &sandbox.client_id(),
            "--client-secret-stdin",
        ],
        &format!("{secret}\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_good_credentials_saves_the_secret_in_a_0600_file_and_never_prints_it() {
    let sandbox = common::sandbox().await;
    let home = fresh_home();
    let secret = sandbox.client_secret();
    let output = login(&home, &sandbox, "local", &secret);
    assert_code(&output, 0);
    assert!(
        stdout(&output).contains("Saved profile local"),
        "{}",
        stdout(&output)
    );
    assert!(!format!("{}{}", stdout(&output), stderr(&output)).contains(&secret));

    let config = std::fs::read_to_string(config_dir(&home).join("config.toml")).unwrap();
    assert!(config.contains("[profiles.local]"), "{config}");
    assert!(config.contains(&sandbox.api_url()), "{config}");
    assert!(
        !config.contains(&secret),
        "the settings file holds no secret"
    );
    let credentials = config_dir(&home).join("credentials.toml");
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "credentials.toml is private");
    assert!(std::fs::read_to_string(&credentials)
        .unwrap()
        .contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_wrong_secret_exits_3_and_saves_nothing() {
    let sandbox = common::sandbox().await;
    let home = fresh_home();
    let output = login(&home, &sandbox, "wrong", "not-the-secret");
    assert_code(&output, 3);
    assert!(
        stderr(&output).contains("nothing was saved"),
        "{}",
        stderr(&output)
    );
    assert!(!config_dir(&home).join("config.toml").exists());
    assert!(!config_dir(&home).join("credentials.toml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_is_chosen_by_flag_or_variable_and_flags_beat_it() {
    let saved = common::sandbox().await;
    let other = Sandbox::builder().start().await.expect("a second sandbox");
    let home = fresh_home();
    assert_code(&login(&home, &saved, "local", &saved.client_secret()), 0);

    let by_flag = common::run(
        bare_in(&home),
        &["--profile", "local", "orders", "create", "--vcu", "1"],
    );
    assert_code(&by_flag, 0);
    let mut by_variable = bare_in(&home);
    by_variable.env("CARBONEXT_PROFILE", "local");
    assert_code(
        &common::run(by_variable, &["orders", "create", "--vcu", "2"]),
        0,
    );
    assert_eq!(
        saved.orders_snapshot().len(),
        2,
        "both went to the profile's host"
    );

    // The target from flags wins whole; the profile's secret is not sent to it.
    let flags = [
        "--profile",
        "local",
        "--api-url",
        &other.api_url(),
        "--auth-url",
        &other.token_url(),
    ];
    let refused = common::run(
        bare_in(&home),
        &[&flags[..], &["orders", "create", "--vcu", "1"]].concat(),
    );
    assert_code(&refused, 2);
    assert!(
        stderr(&refused).contains("only sent to its own hosts"),
        "{}",
        stderr(&refused)
    );

    let mut with_own_credentials = bare_in(&home);
    with_own_credentials
        .env("CARBONEXT_CLIENT_ID", other.client_id())
        .env("CARBONEXT_CLIENT_SECRET", other.client_secret());
    let output = common::run(
        with_own_credentials,
        &[&flags[..], &["orders", "create", "--vcu", "3"]].concat(),
    );
    assert_code(&output, 0);
    assert!(
        stderr(&output).contains("ignoring api-url, auth-url (profile local)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        other.orders_snapshot().len(),
        1,
        "the flags' host got the order"
    );
    assert_eq!(
        saved.orders_snapshot().len(),
        2,
        "the profile's host got nothing more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentials_file_others_can_read_is_refused_with_the_fix() {
    let sandbox = common::sandbox().await;
    let home = fresh_home();
    assert_code(
        &login(&home, &sandbox, "local", &sandbox.client_secret()),
        0,
    );
    let credentials = config_dir(&home).join("credentials.toml");
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o644)).unwrap();

    let output = common::run(bare_in(&home), &["--profile", "local", "price"]);
    assert_code(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains(&format!("chmod 600 {}", credentials.display())),
        "{message}"
    );
    assert!(!message.contains(&sandbox.client_secret()), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_status_shows_the_source_of_each_setting() {
    let sandbox = common::sandbox().await;
    let home = fresh_home();
    assert_code(
        &login(&home, &sandbox, "local", &sandbox.client_secret()),
        0,
    );

    let mut command = bare_in(&home);
    command.env("CARBONEXT_PROFILE", "local");
    let output = common::run(
        command,
        &["auth", "status", "--client", &sandbox.client_id()],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {text}"))
            .to_owned()
    };
    assert!(
        line("profile:").contains("local (env CARBONEXT_PROFILE)"),
        "{text}"
    );
    assert!(line("API URL:").contains(&sandbox.api_url()), "{text}");
    assert!(line("API URL:").ends_with("(profile local)"), "{text}");
    assert!(line("token URL:").ends_with("(profile local)"), "{text}");
    assert!(line("environment:").ends_with("(default)"), "{text}");
    assert!(line("client id:").ends_with("(flag --client)"), "{text}");
    assert!(
        line("client secret:").ends_with("(profile local)"),
        "{text}"
    );
    assert_eq!(line("token:"), "token:          yes", "{text}");
    assert!(!text.contains(&sandbox.client_secret()), "{text}");

    // Flags and variables are labelled as such.
    let mut command = bare_in(&home);
    command
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret());
    let output = common::run(
        command,
        &["auth", "status", "--auth-url", &sandbox.token_url()],
    );
    // The target is taken whole from the flags: --auth-url alone needs --api-url.
    assert_code(&output, 2);
    let mut command = bare_in(&home);
    command
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_AUTH_URL", sandbox.token_url())
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret());
    let text = stdout(&common::run(command, &["auth", "status"]));
    assert!(text.contains("(env CARBONEXT_API_URL)"), "{text}");
    assert!(text.contains("(env CARBONEXT_CLIENT_SECRET)"), "{text}");
    assert!(text.contains("profile:        none"), "{text}");
}

#[test]
fn profiles_list_show_and_remove_never_show_the_secret() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime.block_on(common::sandbox());
    let home = fresh_home();
    assert_code(
        &login(&home, &sandbox, "local", &sandbox.client_secret()),
        0,
    );
    let list = common::ok(bare_in(&home), &["profiles", "list"]);
    assert!(list.contains("local"), "{list}");
    let show = common::ok(bare_in(&home), &["profiles", "show", "local"]);
    assert!(show.contains("client secret:  saved"), "{show}");
    assert!(!format!("{list}{show}").contains(&sandbox.client_secret()));
    common::ok(bare_in(&home), &["profiles", "remove", "local"]);
    let credentials = std::fs::read_to_string(config_dir(&home).join("credentials.toml")).unwrap();
    assert!(
        !credentials.contains(&sandbox.client_secret()),
        "{credentials}"
    );
    let gone = common::run(bare_in(&home), &["--profile", "local", "price"]);
    assert_code(&gone, 2);
    assert!(
        stderr(&gone).contains("carbonext login --profile local"),
        "{}",
        stderr(&gone)
    );
}
