//! The error type shared by every area of the core. Small, `Clone`, with a stable code.

use std::fmt;

/// What went wrong, as a stable machine-readable kind. Each kind maps to one error `code` in JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// An argument had the wrong type (a number where a string was expected).
    InvalidArgType,
    /// An argument had a value outside the accepted set (unknown algorithm, NUL byte in a bcrypt password).
    InvalidArgValue,
    /// A number was not an integer or outside its range.
    OutOfRange,
    /// A password is longer than the configured cap (or than bcrypt's 72 bytes).
    PasswordTooLong,
    /// A stored hash could not be parsed, or its parameters exceed the configured ceiling.
    InvalidHash,
    /// The task was cancelled through its AbortSignal.
    Aborted,
    /// The pool's queue is full: the task was refused without queuing.
    QueueFull,
    /// `close()` was called: no new tasks are admitted.
    PoolClosed,
    /// `configure()` was called after the pool started.
    PoolStarted,
    /// Compressed input that is corrupt or truncated.
    Decompress,
    /// Decompressed output over `maxOutputLength`.
    BufferTooLarge,
    /// A file that does not exist.
    FileNotFound,
    /// A file that may not be read.
    PermissionDenied,
    /// A directory where a file was expected.
    IsDirectory,
    /// A path that is not a regular file (a FIFO, device or socket): refused before any read.
    NotRegularFile,
    /// A file over its byte limit (`maxInputBytes`), refused before it is read.
    FileTooLarge,
    /// Any other I/O failure.
    Io,
    /// An image that is corrupt or truncated, or whose pixels cannot be decoded.
    ImageDecode,
    /// Bytes that are not an image in a supported format.
    ImageFormat,
    /// An image over `limitInputPixels`, or too large to hold in memory.
    ImageTooLarge,
    /// An encoder failed.
    ImageEncode,
    /// The worker thread running a JS task (`workers()` / `run()`) exited under it: `process.exit()`,
    /// an uncaught error, or out of `resourceLimits` memory.
    WorkerExited,
    /// A bug: a panic or an invariant that did not hold.
    Internal,
}

impl ErrorKind {
    /// The stable `code` string exposed to JavaScript.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgType => "ERR_INVALID_ARG_TYPE",
            ErrorKind::InvalidArgValue => "ERR_INVALID_ARG_VALUE",
            ErrorKind::OutOfRange => "ERR_OUT_OF_RANGE",
            ErrorKind::PasswordTooLong => "ERR_PASSWORD_TOO_LONG",
            ErrorKind::InvalidHash => "ERR_INVALID_HASH",
            ErrorKind::Aborted => "ABORT_ERR",
            ErrorKind::QueueFull => "ERR_QUEUE_FULL",
            ErrorKind::PoolClosed => "ERR_POOL_CLOSED",
            ErrorKind::PoolStarted => "ERR_POOL_STARTED",
            ErrorKind::Decompress => "ERR_DECOMPRESS",
            ErrorKind::BufferTooLarge => "ERR_BUFFER_TOO_LARGE",
            ErrorKind::FileNotFound => "ENOENT",
            ErrorKind::PermissionDenied => "EACCES",
            ErrorKind::IsDirectory => "EISDIR",
            ErrorKind::NotRegularFile => "ERR_NOT_REGULAR_FILE",
            ErrorKind::FileTooLarge => "ERR_FS_FILE_TOO_LARGE",
            ErrorKind::Io => "EIO",
            ErrorKind::ImageDecode => "ERR_IMAGE_DECODE",
            ErrorKind::ImageFormat => "ERR_IMAGE_FORMAT",
            ErrorKind::ImageTooLarge => "ERR_IMAGE_TOO_LARGE",
            ErrorKind::ImageEncode => "ERR_IMAGE_ENCODE",
            ErrorKind::WorkerExited => "ERR_WORKER_EXITED",
            ErrorKind::Internal => "ERR_INTERNAL",
        }
    }
}

impl ErrorKind {
    /// Every kind, for tables exported to JavaScript.
    pub const ALL: [ErrorKind; 23] = [
        ErrorKind::InvalidArgType,
        ErrorKind::InvalidArgValue,
        ErrorKind::OutOfRange,
        ErrorKind::PasswordTooLong,
        ErrorKind::InvalidHash,
        ErrorKind::Aborted,
        ErrorKind::QueueFull,
        ErrorKind::PoolClosed,
        ErrorKind::PoolStarted,
        ErrorKind::Decompress,
        ErrorKind::BufferTooLarge,
        ErrorKind::FileNotFound,
        ErrorKind::PermissionDenied,
        ErrorKind::IsDirectory,
        ErrorKind::NotRegularFile,
        ErrorKind::FileTooLarge,
        ErrorKind::Io,
        ErrorKind::ImageDecode,
        ErrorKind::ImageFormat,
        ErrorKind::ImageTooLarge,
        ErrorKind::ImageEncode,
        ErrorKind::WorkerExited,
        ErrorKind::Internal,
    ];

    /// The JavaScript class of errors with this kind's code: argument errors are `TypeError`s
    /// and range errors `RangeError`s, as Node's own; the rest are `Error`s.
    pub const fn class(self) -> ErrorClass {
        match self {
            ErrorKind::InvalidArgType | ErrorKind::InvalidArgValue => ErrorClass::TypeError,
            // RangeError as Node's own ERR_FS_FILE_TOO_LARGE.
            ErrorKind::OutOfRange | ErrorKind::BufferTooLarge | ErrorKind::FileTooLarge => {
                ErrorClass::RangeError
            }
            _ => ErrorClass::Error,
        }
    }
}

/// The JavaScript error class a code is thrown as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    Error,
    TypeError,
    RangeError,
}

impl ErrorClass {
    /// The class's JavaScript name.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorClass::Error => "Error",
            ErrorClass::TypeError => "TypeError",
            ErrorClass::RangeError => "RangeError",
        }
    }
}

/// An error with a kind and a human-readable message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code, e.g. `ERR_INVALID_HASH`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The message, without the code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error used when a task was cancelled.
    pub fn aborted() -> Self {
        Error::new(ErrorKind::Aborted, "The operation was aborted")
    }

    /// An invalid or unsupported stored hash.
    pub fn invalid_hash(why: impl fmt::Display) -> Self {
        Error::new(ErrorKind::InvalidHash, format!("Invalid hash: {why}"))
    }

    /// A value out of range, worded like sharp: "Expected integer between 4 and 31 for cost but received 3".
    pub fn out_of_range(name: &str, lo: u64, hi: u64, got: impl fmt::Display) -> Self {
        Error::new(
            ErrorKind::OutOfRange,
            format!("Expected integer between {lo} and {hi} for {name} but received {got}"),
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::FileNotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            std::io::ErrorKind::IsADirectory => ErrorKind::IsDirectory,
            _ => ErrorKind::Io,
        };
        Error::new(kind, e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results whose error is [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_kind_once_with_a_distinct_code() {
        // A new kind must be added to ALL: this match stops compiling until it has an arm.
        let position = |k: ErrorKind| match k {
            ErrorKind::InvalidArgType
            | ErrorKind::InvalidArgValue
            | ErrorKind::OutOfRange
            | ErrorKind::PasswordTooLong
            | ErrorKind::InvalidHash
            | ErrorKind::Aborted
            | ErrorKind::QueueFull
            | ErrorKind::PoolClosed
            | ErrorKind::PoolStarted
            | ErrorKind::Decompress
            | ErrorKind::BufferTooLarge
            | ErrorKind::FileNotFound
            | ErrorKind::PermissionDenied
            | ErrorKind::IsDirectory
            | ErrorKind::NotRegularFile
            | ErrorKind::FileTooLarge
            | ErrorKind::Io
            | ErrorKind::ImageDecode
            | ErrorKind::ImageFormat
            | ErrorKind::ImageTooLarge
            | ErrorKind::ImageEncode
            | ErrorKind::WorkerExited
            | ErrorKind::Internal => ErrorKind::ALL.iter().position(|&x| x == k),
        };
        for k in ErrorKind::ALL {
            assert!(position(k).is_some());
        }
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        assert_eq!(ErrorKind::OutOfRange.class().name(), "RangeError");
        assert_eq!(ErrorKind::InvalidArgType.class().name(), "TypeError");
        assert_eq!(ErrorKind::QueueFull.class().name(), "Error");
        assert_eq!(ErrorKind::FileTooLarge.class().name(), "RangeError");
        assert_eq!(ErrorKind::NotRegularFile.class().name(), "Error");
    }
}
