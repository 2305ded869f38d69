//! Instants on the service's timeline, as integer milliseconds since the Unix
//! epoch (UTC). The virtual clock produces them; the codecs render them as
//! xs:dateTime (legacy) or epoch seconds (JSON).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
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

    /// This instant plus `seconds` (saturating).
    #[must_use]
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form of almost every capture (spec §5.8).
    /// boto 2 parses `Expiration` with exactly this pattern, so no fractions.
    #[must_use]
    pub fn to_xml_datetime(self) -> String {
        self.to_chrono().to_rfc3339_opts(SecondsFormat::Secs, true)
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
