//! Money: US dollars held as integer cents, parsed from and written as the
//! wire's decimal strings (`"10000.00"`, `"0.5"`).

use std::fmt;

/// An amount of US dollars, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// `cents` cents.
    #[must_use]
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    #[must_use]
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses a non-negative amount (`"5"`, `"0.5"`, `"10000.00"`), as the
    /// model's `CurrencyAmount` pattern allows it.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        parse_cents(text).map(Self)
    }
}

impl fmt::Display for Money {
    /// Two decimals, no currency sign (`10000.00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_cents(self.0))
    }
}

/// Formats cents as a money string with two decimals (`"10000.00"`).
#[must_use]
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a non-negative money string (`"5"`, `"0.5"`, `"10000.00"`) into cents.
#[must_use]
pub fn parse_cents(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac_cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac_cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_round_trips_through_cents() {
        assert_eq!(parse_cents("10000.00"), Some(1_000_000));
        assert_eq!(parse_cents("0.5"), Some(50));
        assert_eq!(parse_cents("5"), Some(500));
        assert_eq!(parse_cents("5."), Some(500));
        assert_eq!(parse_cents(".5"), None);
        assert_eq!(parse_cents("0.505"), None);
        assert_eq!(parse_cents("-1"), None);
        assert_eq!(format_cents(1_000_000), "10000.00");
        assert_eq!(format_cents(5), "0.05");
    }
}
