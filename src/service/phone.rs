//! Buyers' phone numbers: checked against their country's numbering plan (Google's libphonenumber
//! metadata, through the `phonenumber` crate) and kept in E.164 (`+4930123456`), as Stripe keeps
//! them. The browser checks only the shape (`domain::address::check_phone_shape`): the plan's
//! metadata is too large for the checkout's bundle.

/// A number typed in international form (`+49 30 …`) or national form for `country` (the
/// buyer's billing country, ISO code), as E.164; else what to tell the buyer.
pub fn to_e164(typed: &str, country: &str) -> Result<String, &'static str> {
    let region = country.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(region, typed)
        .map_err(|_| "Enter your phone number with its country code, like +1 415 555 0100.")?;
    if !phonenumber::is_valid(&number) {
        return Err("This phone number does not exist: check it, with its country code.");
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::to_e164;

    #[test]
    fn numbers_become_e164_by_their_country() {
        assert_eq!(
            to_e164("030 23125000", "DE").as_deref(),
            Ok("+493023125000")
        );
        assert_eq!(
            to_e164("+1 650-253-0000", "DE").as_deref(),
            Ok("+16502530000")
        );
        assert_eq!(
            to_e164("(650) 253-0000", "US").as_deref(),
            Ok("+16502530000")
        );
        assert_eq!(to_e164("03-1234-5678", "JP").as_deref(), Ok("+81312345678"));
        // The right shape, but no such number in the plan.
        assert!(to_e164("+1 000 000 0000", "US").is_err());
        assert!(to_e164("12345678", "US").is_err());
    }
}
