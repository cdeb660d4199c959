//! The `frdesk` command: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    // Fail points exist only in builds with `--features failpoints` (the crash tests); a user's
    // build never reads FAILPOINTS.
    #[cfg(feature = "failpoints")]
    let _fail_points = fail::FailScenario::setup();
    frdesk::cli::main()
}
