use serde::{Deserialize, Serialize};

/// Test or live: decided by the API key of a request, carried by every object it creates.
///
/// Test and live data never mix: a test key cannot see live objects and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    /// `livemode` as the vendors' APIs spell it.
    pub fn is_live(self) -> bool {
        matches!(self, Mode::Live)
    }

    pub fn from_livemode(livemode: bool) -> Self {
        if livemode { Mode::Live } else { Mode::Test }
    }

    /// The word that goes into prefixed identifiers: `sk_test_…`, `cs_live_…`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn livemode_round_trips() {
        for mode in [Mode::Test, Mode::Live] {
            assert_eq!(Mode::from_livemode(mode.is_live()), mode);
        }
        assert!(!Mode::Test.is_live());
        assert_eq!(Mode::Live.as_str(), "live");
    }
}
