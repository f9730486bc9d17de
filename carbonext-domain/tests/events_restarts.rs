//! Placeholder until the restart test lands (next commit).
