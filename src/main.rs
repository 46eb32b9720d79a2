//! `sipas`: the command line of the survey service (SPEC §5).

mod cli;
mod commands;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: after a report of a million
/// answers glibc keeps hundreds of megabytes the service no longer uses
/// (per-thread arenas); mimalloc gives them back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logs(&args);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lỗi: không khởi động được tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("lỗi: {failure}");
            failure.exit_code()
        }
    }
}

/// Logs go to standard error. The service says what it does (`info`);
/// other commands speak only when something is wrong, so their output is
/// what the user asked for. sqlx's notes on slow statements are not for the
/// user. Colours only on a terminal; `--log-format json` for collectors.
fn init_logs(args: &cli::Cli) {
    use std::io::IsTerminal;
    let default = match args.command {
        cli::Command::Serve { .. } => "info,sqlx=error",
        _ => "warn,sqlx=error",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match args.log_format {
        cli::LogFormat::Json => logs.json().with_current_span(false).init(),
        cli::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}
