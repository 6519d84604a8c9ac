//! Server CPU time from the kernel's accounting (`/proc/<pid>/stat`), per process of a
//! `wrangler dev` process group, split into the worker's runtime (the workerd that runs
//! the worker and its Durable Objects) and everything in front of it (wrangler's proxy
//! workerd and node). Reading the counters before and after a known number of requests
//! gives CPU per request that does not depend on what else the machine is doing.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

/// One process of the group.
#[derive(Clone, Debug)]
pub struct Process {
    pub pid: u32,
    pub name: String,
}

/// CPU counters of the group at one moment, in clock ticks, by pid.
#[derive(Clone, Debug, Default)]
pub struct Sample(BTreeMap<u32, u64>);

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux almost everywhere).
pub fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &text[text.rfind(')')? + 2..];
    Some(after.split_whitespace().map(str::to_string).collect())
}

fn command_name(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// Every live process whose process group is `pgid`.
pub fn group(pgid: u32) -> Vec<Process> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // Field 5 of stat is the process group; index 2 after the name.
        if stat_fields(pid).and_then(|f| f.get(2).and_then(|g| g.parse::<u32>().ok())) == Some(pgid) {
            found.push(Process { pid, name: command_name(pid) });
        }
    }
    found
}

/// user + system ticks of one process (fields 14 and 15 of stat).
fn ticks(pid: u32) -> Option<u64> {
    let f = stat_fields(pid)?;
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

pub fn sample(processes: &[Process]) -> Sample {
    Sample(processes.iter().filter_map(|p| ticks(p.pid).map(|t| (p.pid, t))).collect())
}

impl Sample {
    /// Ticks spent since `earlier` by the given pids.
    pub fn since(&self, earlier: &Sample, pids: &[u32]) -> u64 {
        pids.iter()
            .map(|pid| {
                let now = self.0.get(pid).copied().unwrap_or(0);
                now.saturating_sub(earlier.0.get(pid).copied().unwrap_or(0))
            })
            .sum()
    }
}

/// Ports a process listens on (TCP, IPv4 and IPv6), from its socket inodes.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let mut inodes = Vec::new();
    if let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path()) {
                let target = target.to_string_lossy().to_string();
                if let Some(inode) = target.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')) {
                    inodes.push(inode.to_string());
                }
            }
        }
    }
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address is col 1 ("HEXIP:HEXPORT"), state col 3 ("0A" = LISTEN), inode col 9.
            if cols.len() > 9 && cols[3] == "0A" && inodes.iter().any(|i| i == cols[9]) {
                if let Some(port) = cols[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok()) {
                    ports.push(port);
                }
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}
