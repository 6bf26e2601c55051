//! Keeping key material out of swap and core dumps.

/// Locks every current and future page of the process in memory (so keys never reach
/// swap) and marks the process non-dumpable (no core dump, no ptrace by other users).
pub fn protect_memory(disable_mlock: bool) -> anyhow::Result<()> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| anyhow::anyhow!("excluding the process from core dumps: {e}"))?;
    if disable_mlock {
        return Ok(());
    }
    use rustix::mm::{mlockall, MlockAllFlags};
    mlockall(MlockAllFlags::CURRENT | MlockAllFlags::FUTURE).map_err(|e| {
        anyhow::anyhow!(
            "failed to lock memory ({e}): grant the IPC_LOCK capability, or set disable_mlock = true \
             in the configuration if swap is disabled or encrypted"
        )
    })
}
