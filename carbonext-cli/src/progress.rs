//! A progress bar on stderr for `--all` listings and exports, shown only when stderr is a
//! terminal (never in pipes, files or tests).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts items fetched; a bar when the total is known, a spinner otherwise.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Whether a progress bar would be drawn.
    pub fn wanted() -> bool {
        std::io::stderr().is_terminal()
    }

    /// A progress display for `total` items (if known) named `noun`; hidden off a terminal.
    pub fn new(total: Option<u64>, noun: &str) -> Self {
        if !Self::wanted() {
            return Self { bar: None };
        }
        let bar = match total {
            Some(total) => {
                let bar = ProgressBar::new(total);
                let template = format!("{{bar:40}} {{pos}}/{{len}} {noun} ({{elapsed}})");
                if let Ok(style) = ProgressStyle::with_template(&template) {
                    bar.set_style(style);
                }
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                let template = format!("{{spinner}} {{pos}} {noun} ({{elapsed}})");
                if let Ok(style) = ProgressStyle::with_template(&template) {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        Self { bar: Some(bar) }
    }

    /// One more item.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
