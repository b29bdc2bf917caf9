//! `confab`: serves the chat. See `--help` for configuration.

use clap::Parser;
use server::{
    backup, build_state,
    config::{Command, Config},
    leptos_options, run, shutdown_signal,
};
use tracing_subscriber::EnvFilter;

/// Worker threads' stacks: server-side rendering of the chat page nests deeply, more than
/// tokio's default 2 MiB holds in an unoptimised (`cargo leptos watch`) build.
const WORKER_STACK_BYTES: usize = 8 << 20;

fn main() -> std::process::ExitCode {
    keep_large_allocations_out_of_the_heap();
    let mut config = Config::parse();
    tracing_subscriber::fmt()
        // Logs (and a command's error) on stderr; a command's result on stdout.
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    if let Some(open_files) = raise_open_files_limit() {
        if let Some(configured) = config.fit_connections_to(open_files) {
            tracing::warn!(
                open_files,
                configured,
                max_connections = config.max_connections,
                "this process may open too few files for --max-connections; it holds fewer WebSockets \
                 (raise the open-file limit, e.g. LimitNOFILE in its systemd unit)"
            );
        }
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(WORKER_STACK_BYTES).build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(serve(config)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match &config.command {
        Some(Command::Backup { to }) => {
            let summary = backup::backup(&config, to).await?;
            println!("Backed up {summary} to {}", to.display());
            return Ok(());
        }
        Some(Command::Restore { from, force }) => {
            let summary = backup::restore(&config, from, *force).await?;
            println!("Restored {summary} from {}", from.display());
            return Ok(());
        }
        Some(Command::Admin { grant, revoke }) => {
            let (username, admin) = match (grant, revoke) {
                (Some(name), _) => (name, true),
                (None, Some(name)) => (name, false),
                (None, None) => return Err("name an account with --grant or --revoke".into()),
            };
            let storage = server::storage::Storage::connect(&config.database_url, "cli".into()).await?;
            let found = storage.set_admin(username, admin).await?;
            storage.close().await;
            if !found {
                return Err(format!("there is no account named {username:?}").into());
            }
            println!("{username} {} an instance admin", if admin { "is now" } else { "is no longer" });
            return Ok(());
        }
        None => {}
    }
    let options = leptos_options()?;
    let addr = config.addr.unwrap_or(options.site_addr);
    let state = build_state(config, options).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("Confab listening on http://{}", listener.local_addr()?);
    run(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// Every WebSocket is an open file. Shells and service managers often start a process with a
/// soft limit of 1,024 open files while allowing far more (the hard limit), and past the soft
/// limit `accept` fails, which stalls accepting for every client. Any process may raise its
/// soft limit to the hard one, so this one does; returns the limit then in force.
fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: getrlimit and setrlimit read and write the struct they are given.
        unsafe {
            let mut limit: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
            Some(limit.rlim_cur as u64)
        }
    }
    #[cfg(not(unix))]
    None
}

/// Each password hash takes 19 MiB. glibc raises its mmap threshold after the first such block
/// is freed, so later ones come from the heap and stay there: a few hundred logins left the
/// server at 1.6 GiB resident. A fixed threshold keeps every large block in its own mapping,
/// returned to the system when freed.
fn keep_large_allocations_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
