//! Running an external tool with a time limit. A tool that is missing, fails, hangs past its
//! limit or prints non-UTF-8 gives a [`ToolError`] that detection reports as a note and skips:
//! no tool can fail or stall the whole command.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The time limit of every tool detection runs (`nvidia-smi`, `rocm-smi`, `sysctl`,
/// `system_profiler`): long enough for a driver that wakes a sleeping GPU, short enough that
/// a hung driver costs a few seconds.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a tool gave no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The program is not installed (not on `PATH`).
    #[error("{0}: not found")]
    NotFound(String),
    /// It could not be started for another reason.
    #[error("{0}: could not start: {1}")]
    Start(String, String),
    /// It ran past the limit and was killed.
    #[error("{0}: no answer within {1} s; killed")]
    Timeout(String, u64),
    /// It exited with a failure status.
    #[error("{0}: exited with {1}: {2}")]
    Failed(String, String, String),
    /// Its output was not UTF-8 text.
    #[error("{0}: output is not UTF-8 text")]
    NotText(String),
}

/// Runs `program args…` with stdin closed, and returns its stdout, or why there is none.
/// The child is polled every 10 ms and killed at `limit`; stdout and stderr are drained on
/// their own threads so a chatty tool cannot block on a full pipe.
pub fn run_tool(program: &str, args: &[&str], limit: Duration) -> Result<String, ToolError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ToolError::NotFound(program.to_string()),
            _ => ToolError::Start(program.to_string(), e.to_string()),
        })?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                // A read error leaves what was read so far: the status decides.
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= limit => {
                // Kill and reap; the drain threads end when the pipes close.
                let _ = child.kill();
                let _ = child.wait();
                return Err(ToolError::Timeout(program.to_string(), limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(ToolError::Start(program.to_string(), e.to_string())),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let msg = String::from_utf8_lossy(&stderr);
        let first = msg.lines().next().unwrap_or("").trim().to_string();
        return Err(ToolError::Failed(
            program.to_string(),
            status.to_string(),
            first,
        ));
    }
    String::from_utf8(stdout).map_err(|_| ToolError::NotText(program.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_is_reported_not_fatal() {
        let e = run_tool("tokenfit-no-such-tool-here", &[], TOOL_TIMEOUT).unwrap_err();
        assert!(matches!(e, ToolError::NotFound(_)), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_hang_is_killed_at_the_limit() {
        let start = Instant::now();
        let e = run_tool("sleep", &["30"], Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, ToolError::Timeout(..)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[cfg(unix)]
    #[test]
    fn output_and_failure() {
        assert_eq!(run_tool("echo", &["hi"], TOOL_TIMEOUT).unwrap(), "hi\n");
        let e = run_tool("false", &[], TOOL_TIMEOUT).unwrap_err();
        assert!(matches!(e, ToolError::Failed(..)), "{e}");
    }
}
