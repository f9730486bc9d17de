//! Offline emulator of the Carbonext homologation environment (work in progress).
