//! Qualification requirements on HIT types, and their evaluation against what
//! a worker holds (spec legacy-api.md §5.4-§5.5, modern-api.md §2).
//!
//! A revoked qualification counts as absent (spec §6.2): a worker revoked
//! from a required qualification fails `Exists` and every value comparison.

/// An ISO 3166 location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locale {
    /// ISO 3166-1 alpha-2 country, e.g. `US`.
    pub country: String,
    /// ISO 3166-2 subdivision without the country, e.g. `WA`.
    pub subdivision: Option<String>,
}

impl Locale {
    /// Whether a worker at `self` matches the requirement value `wanted`: a
    /// country-only value matches every subdivision of that country.
    #[must_use]
    pub fn matches(&self, wanted: &Locale) -> bool {
        self.country == wanted.country && (wanted.subdivision.is_none() || self.subdivision == wanted.subdivision)
    }
}

/// How a requirement compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqualTo,
    /// `>`.
    GreaterThan,
    /// `>=`.
    GreaterThanOrEqualTo,
    /// `==`.
    EqualTo,
    /// `!=`.
    NotEqualTo,
    /// Holds it, any value.
    Exists,
    /// Does not hold it.
    DoesNotExist,
    /// Value among the listed ones.
    In,
    /// Value not among the listed ones.
    NotIn,
}

impl Comparator {
    /// Every comparator with its wire spelling.
    pub const ALL: [(Self, &'static str); 10] = [
        (Self::LessThan, "LessThan"),
        (Self::LessThanOrEqualTo, "LessThanOrEqualTo"),
        (Self::GreaterThan, "GreaterThan"),
        (Self::GreaterThanOrEqualTo, "GreaterThanOrEqualTo"),
        (Self::EqualTo, "EqualTo"),
        (Self::NotEqualTo, "NotEqualTo"),
        (Self::Exists, "Exists"),
        (Self::DoesNotExist, "DoesNotExist"),
        (Self::In, "In"),
        (Self::NotIn, "NotIn"),
    ];

    /// Parses the wire spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, s)| *s == text).map(|(c, _)| *c)
    }

    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(c, _)| *c == self).map_or("", |(_, s)| s)
    }
}

/// Which worker actions a failed requirement guards (JSON `ActionsGuarded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedActions {
    /// The worker may find and preview but not accept.
    Accept,
    /// The worker may find the HIT but not preview or accept it.
    PreviewAndAccept,
    /// The HIT is hidden from the worker.
    DiscoverPreviewAndAccept,
}

impl GuardedActions {
    /// Parses the wire spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Accept" => Some(Self::Accept),
            "PreviewAndAccept" => Some(Self::PreviewAndAccept),
            "DiscoverPreviewAndAccept" => Some(Self::DiscoverPreviewAndAccept),
            _ => None,
        }
    }

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "Accept",
            Self::PreviewAndAccept => "PreviewAndAccept",
            Self::DiscoverPreviewAndAccept => "DiscoverPreviewAndAccept",
        }
    }
}

/// The Worker_Locale system type: the only locale-valued one.
pub const LOCALE_TYPE_ID: &str = "00000000000000000071";

/// Most requirements per HIT (spec §5.4).
pub const MAX_REQUIREMENTS: usize = 10;

/// One requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationRequirement {
    /// The qualification type (any string on the JSON wire; checked to exist by `ops`).
    pub type_id: String,
    /// The comparison.
    pub comparator: Comparator,
    /// Integer operands.
    pub integer_values: Vec<i32>,
    /// Locale operands.
    pub locale_values: Vec<Locale>,
    /// Deprecated: a failing worker may not preview.
    pub required_to_preview: bool,
    /// What a failing worker may not do; default `Accept`.
    pub actions_guarded: Option<GuardedActions>,
}

/// What a worker has of one type, for evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Nothing (never granted, or revoked).
    Nothing,
    /// An integer value.
    Integer(i32),
    /// A locale.
    Locale(Locale),
}

impl QualificationRequirement {
    /// Checks the structural rules of spec §5.4; returns a message on failure.
    ///
    /// # Errors
    /// The reason the requirement is malformed.
    pub fn validate(&self) -> Result<(), String> {
        let is_locale = self.type_id == LOCALE_TYPE_ID;
        let ints = self.integer_values.len();
        let locales = self.locale_values.len();
        if ints > 0 && locales > 0 {
            return Err("a requirement takes IntegerValues or LocaleValues, not both".into());
        }
        if is_locale && ints > 0 {
            return Err("the Worker_Locale requirement takes LocaleValues, not IntegerValues".into());
        }
        if !is_locale && locales > 0 {
            return Err("LocaleValues are only allowed with the Worker_Locale qualification type".into());
        }
        let count = ints + locales;
        match self.comparator {
            Comparator::Exists | Comparator::DoesNotExist => {
                if count > 0 {
                    return Err(format!("{} takes no values", self.comparator.as_str()));
                }
            }
            Comparator::In | Comparator::NotIn => {
                let max = if is_locale { 30 } else { 15 };
                if count == 0 || count > max {
                    return Err(format!("{} takes between 1 and {max} values", self.comparator.as_str()));
                }
            }
            Comparator::EqualTo | Comparator::NotEqualTo => {
                if count != 1 {
                    return Err(format!("{} takes exactly one value", self.comparator.as_str()));
                }
            }
            _ => {
                if is_locale {
                    return Err(format!(
                        "the Worker_Locale requirement cannot use {}; use EqualTo, NotEqualTo, In or NotIn",
                        self.comparator.as_str()
                    ));
                }
                if ints != 1 {
                    return Err(format!("{} takes exactly one IntegerValue", self.comparator.as_str()));
                }
            }
        }
        for l in &self.locale_values {
            let ok = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok(&l.country) || l.subdivision.as_deref().is_some_and(|s| !ok(s)) {
                return Err("Country and Subdivision must be two-character ISO 3166 codes".into());
            }
        }
        if self.required_to_preview && self.actions_guarded.is_some() {
            return Err("RequiredToPreview and ActionsGuarded cannot be combined".into());
        }
        Ok(())
    }

    /// Whether a worker holding `held` meets this requirement.
    #[must_use]
    pub fn is_met_by(&self, held: &Held) -> bool {
        let first_int = self.integer_values.first().copied();
        match (self.comparator, held) {
            (Comparator::Exists, held) => *held != Held::Nothing,
            (Comparator::DoesNotExist, held) => *held == Held::Nothing,
            (Comparator::In, Held::Integer(v)) => self.integer_values.contains(v),
            (Comparator::NotIn, Held::Integer(v)) => !self.integer_values.contains(v),
            (Comparator::In | Comparator::EqualTo, Held::Locale(l)) => self.locale_values.iter().any(|w| l.matches(w)),
            (Comparator::NotIn | Comparator::NotEqualTo, Held::Locale(l)) => {
                !self.locale_values.iter().any(|w| l.matches(w))
            }
            (_, Held::Nothing | Held::Locale(_)) => false,
            (c, Held::Integer(v)) => first_int.is_some_and(|x| match c {
                Comparator::LessThan => *v < x,
                Comparator::LessThanOrEqualTo => *v <= x,
                Comparator::GreaterThan => *v > x,
                Comparator::GreaterThanOrEqualTo => *v >= x,
                Comparator::EqualTo => *v == x,
                Comparator::NotEqualTo => *v != x,
                _ => false,
            }),
        }
    }

    /// What a worker who fails this requirement may not do.
    #[must_use]
    pub fn guards(&self) -> GuardedActions {
        match (self.actions_guarded, self.required_to_preview) {
            (Some(g), _) => g,
            (None, true) => GuardedActions::PreviewAndAccept,
            (None, false) => GuardedActions::Accept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(c: Comparator, ints: &[i32]) -> QualificationRequirement {
        QualificationRequirement {
            type_id: "3ABC".into(),
            comparator: c,
            integer_values: ints.to_vec(),
            locale_values: vec![],
            required_to_preview: false,
            actions_guarded: None,
        }
    }

    fn locale(country: &str, sub: Option<&str>) -> Locale {
        Locale { country: country.into(), subdivision: sub.map(Into::into) }
    }

    #[test]
    fn every_integer_comparator_evaluates() {
        let v = Held::Integer(80);
        assert!(req(Comparator::GreaterThan, &[79]).is_met_by(&v));
        assert!(!req(Comparator::GreaterThan, &[80]).is_met_by(&v));
        assert!(req(Comparator::GreaterThanOrEqualTo, &[80]).is_met_by(&v));
        assert!(req(Comparator::LessThan, &[81]).is_met_by(&v));
        assert!(req(Comparator::LessThanOrEqualTo, &[80]).is_met_by(&v));
        assert!(req(Comparator::EqualTo, &[80]).is_met_by(&v));
        assert!(req(Comparator::NotEqualTo, &[1]).is_met_by(&v));
        assert!(req(Comparator::In, &[1, 80]).is_met_by(&v));
        assert!(!req(Comparator::NotIn, &[1, 80]).is_met_by(&v));
        assert!(req(Comparator::Exists, &[]).is_met_by(&v));
        assert!(!req(Comparator::DoesNotExist, &[]).is_met_by(&v));
    }

    #[test]
    fn an_absent_or_revoked_qualification_fails_everything_but_does_not_exist() {
        for (c, ints) in
            [(Comparator::Exists, vec![]), (Comparator::GreaterThan, vec![0]), (Comparator::NotIn, vec![5])]
        {
            assert!(!req(c, &ints).is_met_by(&Held::Nothing), "{c:?}");
        }
        assert!(req(Comparator::DoesNotExist, &[]).is_met_by(&Held::Nothing));
    }

    #[test]
    fn locales_match_by_country_or_subdivision() {
        let mut r = req(Comparator::In, &[]);
        r.type_id = LOCALE_TYPE_ID.into();
        r.locale_values = vec![locale("US", Some("WA")), locale("CA", None)];
        assert!(r.validate().is_ok());
        assert!(r.is_met_by(&Held::Locale(locale("US", Some("WA")))));
        assert!(!r.is_met_by(&Held::Locale(locale("US", Some("CA")))));
        assert!(r.is_met_by(&Held::Locale(locale("CA", Some("QC")))));
        r.comparator = Comparator::NotIn;
        assert!(r.is_met_by(&Held::Locale(locale("DE", None))));
    }

    #[test]
    fn malformed_requirements_are_refused() {
        assert!(req(Comparator::Exists, &[1]).validate().is_err());
        assert!(req(Comparator::GreaterThan, &[]).validate().is_err());
        assert!(req(Comparator::In, &[0; 16]).validate().is_err());
        assert!(req(Comparator::EqualTo, &[1, 2]).validate().is_err());
        let mut l = req(Comparator::GreaterThan, &[]);
        l.type_id = LOCALE_TYPE_ID.into();
        l.locale_values = vec![locale("US", None)];
        assert!(l.validate().is_err());
        let mut both = req(Comparator::Exists, &[]);
        both.required_to_preview = true;
        both.actions_guarded = Some(GuardedActions::Accept);
        assert!(both.validate().is_err());
    }
}
