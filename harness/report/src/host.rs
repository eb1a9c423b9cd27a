//! The name of the host a run ran on, recorded in `results.json` for merged reports.

/// `HIL_HOST` if set (a CI runner's label), else the kernel's host name, else `unknown`.
pub fn host_name() -> String {
    if let Ok(host) = std::env::var("HIL_HOST") {
        if !host.trim().is_empty() {
            return host.trim().to_owned();
        }
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
