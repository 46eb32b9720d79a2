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
    if matches!(args.command, cli::Command::Serve { .. }) {
        give_freed_memory_back_at_once();
    }
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

/// mimalloc returns freed memory to the system only after a delay, counted
/// by the thread that allocated it: a thread that then sits idle (a
/// database reader, a worker) keeps it. After reports of a million answers
/// the service stayed at up to 318 MB resident; with no delay, about 100 MB,
/// the Word report some 6 % slower (BENCHMARKS.md). mimalloc reads its options from the
/// environment as the process starts, so `serve` starts itself again, once,
/// with `MIMALLOC_PURGE_DELAY=0`, unless the operator chose a value.
#[cfg(unix)]
fn give_freed_memory_back_at_once() {
    use std::os::unix::process::CommandExt;
    const OPTION: &str = "MIMALLOC_PURGE_DELAY";
    if std::env::var_os(OPTION).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    // The same process (its id, its open files), the same arguments.
    let failed = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(OPTION, "0").exec();
    // `exec` returns only when it failed: serve as we are.
    eprintln!("cảnh báo: không khởi động lại được với {OPTION}=0 ({failed}); bộ nhớ trả lại chậm hơn");
}

#[cfg(not(unix))]
fn give_freed_memory_back_at_once() {}

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
