//! Instants on the service's timeline, as integer milliseconds since the Unix
//! epoch (UTC). The virtual clock produces them; the codecs render them as
//! xs:dateTime (legacy) or epoch seconds (JSON).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The longest duration any request may give where MTurk documents no
/// maximum (`TestDurationInSeconds`, `RetryDelayInSeconds`): 100 years, the
/// same bound as the control plane's `AdvanceSeconds`. Documented maxima
/// (one year for a HIT's lifetime, 30 days for auto-approval) are checked
/// where they apply.
pub const MAX_UNDOCUMENTED_DURATION_SECS: i64 = 100 * 365 * 86_400;

impl Timestamp {
    /// The latest instant the service keeps: 9999-12-31T23:59:59.999Z. Every
    /// client parses dates of four-digit years only (boto3's `list_hits`
    /// raises `ValueError` on an `Expiration` in year 10000, and XML
    /// `dateTime` readers differ past it), so no stored or computed instant
    /// goes beyond it.
    pub const LATEST: Self = Self(253_402_300_799_999);

    /// The earliest instant a request may name: 0001-01-01T00:00:00Z.
    pub const EARLIEST: Self = Self(-62_135_596_800_000);

    /// The instant `millis` milliseconds after the Unix epoch.
    #[must_use]
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `seconds`, held within [`Timestamp::EARLIEST`] and
    /// [`Timestamp::LATEST`]. Requests that could reach either bound are
    /// refused at the edge with [`Timestamp::checked_plus_seconds`]; the
    /// clamp only guarantees that nothing renders outside four-digit years.
    #[must_use]
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        let millis = self.0.saturating_add(seconds.saturating_mul(1000));
        if millis > Self::LATEST.0 {
            Self::LATEST
        } else if millis < Self::EARLIEST.0 {
            Self::EARLIEST
        } else {
            Self(millis)
        }
    }

    /// This instant plus `seconds`, or `None` when that overflows or falls
    /// outside [`Timestamp::EARLIEST`]..=[`Timestamp::LATEST`].
    #[must_use]
    pub const fn checked_plus_seconds(self, seconds: i64) -> Option<Self> {
        let Some(delta) = seconds.checked_mul(1000) else { return None };
        match self.0.checked_add(delta) {
            Some(millis) if millis >= Self::EARLIEST.0 && millis <= Self::LATEST.0 => Some(Self(millis)),
            _ => None,
        }
    }

    /// Whether this instant lies within the years 0001-9999.
    #[must_use]
    pub const fn is_representable(self) -> bool {
        self.0 >= Self::EARLIEST.0 && self.0 <= Self::LATEST.0
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form of almost every capture (spec §5.8).
    /// boto 2 parses `Expiration` with exactly this pattern, so no fractions.
    #[must_use]
    pub fn to_xml_datetime(self) -> String {
        self.to_chrono().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// As the requester website's results CSV writes times (`Sun Nov 29 17:05:00 UTC 2026`).
    #[must_use]
    pub fn to_results_csv(self) -> String {
        self.to_chrono().format("%a %b %d %H:%M:%S UTC %Y").to_string()
    }

    /// RFC 3339 with milliseconds, for the control plane.
    #[must_use]
    pub fn to_rfc3339_millis(self) -> String {
        self.to_chrono().to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Epoch seconds with a millisecond fraction, as the JSON API emits them.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "epoch millis fit a f64 mantissa until year 287396")]
    pub fn to_epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses an xs:dateTime as clients send it: `2005-01-31T23:59:59Z`, with
    /// optional fractional seconds and optional numeric offset. A value without
    /// any zone designator is taken as UTC.
    #[must_use]
    pub fn parse_xml_datetime(text: &str) -> Option<Self> {
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(Self(dt.timestamp_millis()));
        }
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        Some(Self(Utc.from_utc_datetime(&naive).timestamp_millis()))
    }

    fn to_chrono(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_whole_seconds_in_utc() {
        let t = Timestamp::from_millis(1_436_402_412_782);
        assert_eq!(t.to_xml_datetime(), "2015-07-09T00:40:12Z");
        assert_eq!(t.to_rfc3339_millis(), "2015-07-09T00:40:12.782Z");
    }

    #[test]
    fn arithmetic_stays_within_four_digit_years() {
        assert_eq!(Timestamp::LATEST.to_rfc3339_millis(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::EARLIEST.to_xml_datetime(), "0001-01-01T00:00:00Z");
        let now = Timestamp::from_millis(1_767_225_600_000);
        assert_eq!(now.checked_plus_seconds(i64::MAX), None);
        assert_eq!(now.checked_plus_seconds(i64::MIN), None);
        assert_eq!(Timestamp::LATEST.checked_plus_seconds(1), None);
        assert_eq!(now.checked_plus_seconds(60), Some(now.plus_seconds(60)));
        assert_eq!(now.plus_seconds(i64::MAX), Timestamp::LATEST);
        assert_eq!(now.plus_seconds(i64::MIN), Timestamp::EARLIEST);
        assert!(now.plus_seconds(i64::MAX).to_xml_datetime().starts_with("9999-"));
        assert!(!Timestamp::from_millis(i64::MAX).is_representable());
    }

    #[test]
    fn parses_the_timestamp_forms_clients_sent() {
        let plain = Timestamp::parse_xml_datetime("2014-05-09T22:37:40Z").unwrap();
        assert_eq!(plain.millis(), 1_399_675_060_000);
        let ruby_aws = Timestamp::parse_xml_datetime("2014-05-09T22:37:40.123Z").unwrap();
        assert_eq!(ruby_aws.millis(), 1_399_675_060_123);
        let offset = Timestamp::parse_xml_datetime("2014-05-09T15:37:40-07:00").unwrap();
        assert_eq!(offset, plain);
        let zoneless = Timestamp::parse_xml_datetime("2014-05-09T22:37:40").unwrap();
        assert_eq!(zoneless, plain);
        assert!(Timestamp::parse_xml_datetime("yesterday").is_none());
        assert!(Timestamp::parse_xml_datetime("").is_none());
    }
}
