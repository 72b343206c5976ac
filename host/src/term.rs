//! The terminal: colour, and progress for the waits that take minutes.
//!
//! Both appear only when the stream they go to is a terminal, so pipes, files
//! and CI logs get plain text. Colour also never appears when `NO_COLOR` is
//! set to anything but the empty string, or when `TERM` is `dumb`.

use std::io::IsTerminal as _;
use std::sync::OnceLock;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where text goes.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Reports.
    Stdout,
    /// Logs, errors and progress.
    Stderr,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Whether text for `stream` may be coloured: decided once per run, as
/// neither the environment nor the streams change while host runs.
pub fn colour(stream: Stream) -> bool {
    static STDOUT: OnceLock<bool> = OnceLock::new();
    static STDERR: OnceLock<bool> = OnceLock::new();
    let decided = match stream {
        Stream::Stdout => &STDOUT,
        Stream::Stderr => &STDERR,
    };
    *decided.get_or_init(|| {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|term| term == "dumb");
        !no_colour && !dumb && stream.is_terminal()
    })
}

/// What a piece of text means, which picks its colour.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    /// Something is made.
    Create,
    /// Something changes in place.
    Update,
    /// Something goes away, or went wrong.
    Delete,
    /// Background detail.
    Quiet,
}

/// `text` in the colour of `tone` when `stream` takes colour, else as it is.
pub fn paint(stream: Stream, tone: Tone, text: &str) -> String {
    if !colour(stream) {
        return text.to_string();
    }
    let style = match tone {
        Tone::Create => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Tone::Update => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Tone::Delete => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Tone::Quiet => Style::new().dimmed(),
    };
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// The bars on stderr, or none when stderr is not a terminal.
fn bars() -> Option<&'static MultiProgress> {
    static BARS: OnceLock<Option<MultiProgress>> = OnceLock::new();
    BARS.get_or_init(|| {
        Stream::Stderr
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
    })
    .as_ref()
}

/// A wait shown on the terminal as a spinner with its message and the time
/// waited so far; it goes away when dropped. On anything but a terminal it
/// shows nothing.
#[derive(Debug)]
pub struct Wait(Option<ProgressBar>);

impl Wait {
    /// Starts showing `message`.
    pub fn start(message: String) -> Wait {
        let Some(bars) = bars() else { return Wait(None) };
        let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("the template is valid")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        let bar = bars.add(ProgressBar::new_spinner().with_style(style).with_message(message));
        bar.enable_steady_tick(Duration::from_millis(200));
        Wait(Some(bar))
    }

    /// Shows `message` instead.
    pub fn set_message(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
            if let Some(bars) = bars() {
                bars.remove(&bar);
            }
        }
    }
}

/// Log output on stderr that keeps clear of the progress bars: each line is
/// written while they are hidden, and they are drawn again below it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match bars() {
            Some(bars) => bars.suspend(|| std::io::stderr().write_all(buf)),
            None => std::io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}
