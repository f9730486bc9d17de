//! Carbonext SDK domain layer (work in progress).
