//! A throwaway PostgreSQL 15 server: `initdb` in a temp dir, started on a free port as the
//! non-root `postgres` user when the tests run as root, stopped on drop.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

pub struct PgServer {
    pub url: String,
    data: PathBuf,
    _dir: tempfile::TempDir,
    as_postgres: bool,
}

fn bin(name: &str) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    from_path.or_else(|| {
        let p = Path::new("/usr/lib/postgresql/15/bin").join(name);
        p.is_file().then_some(p)
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgServer {
    /// Starts a server, or returns `None` when PostgreSQL is not installed (outside CI).
    pub fn start() -> Option<Self> {
        let (Some(initdb), Some(pg_ctl)) = (bin("initdb"), bin("pg_ctl")) else {
            assert!(std::env::var_os("CI").is_none(), "PostgreSQL binaries (initdb, pg_ctl) are required in CI");
            eprintln!("skipping PostgreSQL tests: initdb/pg_ctl not found");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        let data = dir.path().join("data");
        if as_postgres {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown to postgres failed");
        }
        let run = |program: &Path, args: &[&str]| {
            let mut cmd = if as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            } else {
                Command::new(program)
            };
            let out = cmd.args(args).output().expect("run PostgreSQL tool");
            assert!(
                out.status.success(),
                "{} failed: {}{}",
                program.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data_s = data.to_str().unwrap();
        run(&initdb, &["-D", data_s, "-A", "trust", "-U", "confab", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        let port = free_port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            dir.path().display()
        );
        let log = dir.path().join("log").to_str().unwrap().to_string();
        run(&pg_ctl, &["-D", data_s, "-o", &opts, "-l", &log, "-w", "start"]);
        Some(Self { url: format!("postgres://confab@127.0.0.1:{port}/postgres"), data, _dir: dir, as_postgres })
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(pg_ctl) = bin("pg_ctl") {
            let mut cmd = if self.as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(pg_ctl);
                c
            } else {
                Command::new(pg_ctl)
            };
            let _ = cmd.arg("-D").arg(&self.data).args(["-m", "immediate", "stop"]).output();
        }
    }
}
